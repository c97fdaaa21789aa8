-- :checkhealth prompt_tool — is the server installed and does it start?
local M = {}

local function reporter()
  local health = vim.health or require("health")
  return {
    start = health.start or health.report_start,
    ok = health.ok or health.report_ok,
    warn = health.warn or health.report_warn,
    error = health.error or health.report_error,
  }
end

function M.check()
  local report = reporter()
  local config = require("prompt_tool").config
  report.start("prompt-tool language server")
  local executable = config.cmd[1]
  if vim.fn.executable(executable) ~= 1 then
    report.error(executable .. " not found on PATH", { "pip install prompt-tool", "or set cmd in require('prompt_tool').setup{}" })
    return
  end
  report.ok("found " .. vim.fn.exepath(executable))
  local output = vim.fn.system(vim.list_extend(vim.deepcopy(config.cmd), { "--help" }))
  if vim.v.shell_error == 0 then
    report.ok("`" .. table.concat(config.cmd, " ") .. " --help` runs")
  else
    report.error("`" .. table.concat(config.cmd, " ") .. " --help` failed: " .. output)
  end
  if vim.g.loaded_prompt_tool == 1 then
    report.ok("plugin loaded; filetype '" .. config.filetype .. "' for *.j2 *.jinja *.jinja2 *.prompt")
  else
    report.warn("plugin/prompt_tool.lua was not loaded (is editors/nvim on 'runtimepath'?)")
  end
end

return M
