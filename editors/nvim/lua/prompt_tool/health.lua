-- :checkhealth prompt_tool — starts the server and asks it `initialize`, as a client would.
local M = {}

local function reporter()
  local health = vim.health or require("health")
  return {
    start = health.start or health.report_start,
    ok = health.ok or health.report_ok,
    info = health.info or health.report_info,
    warn = health.warn or health.report_warn,
    error = health.error or health.report_error,
  }
end

local function frame(message)
  local body = vim.fn.json_encode(message)
  return ("Content-Length: %d\r\n\r\n%s"):format(#body, body)
end

--- Runs `cmd`, sends `initialize` and waits up to `timeout` ms for the answer; then shuts it
--- down. Returns the result table, or nil and what went wrong.
function M.initialize(cmd, timeout)
  local received = ""
  local stderr = {}
  local answer, exit_code
  local ok, job = pcall(vim.fn.jobstart, cmd, {
    on_stdout = function(_, data)
      received = received .. table.concat(data, "\n")
      local header_end = received:find("\r\n\r\n", 1, true)
      local length = tonumber(received:match("Content%-Length: (%d+)"))
      if answer == nil and header_end ~= nil and length ~= nil and #received >= header_end + 3 + length then
        answer = vim.fn.json_decode(received:sub(header_end + 4, header_end + 3 + length))
      end
    end,
    on_stderr = function(_, data)
      vim.list_extend(stderr, data)
    end,
    on_exit = function(_, code)
      exit_code = code
    end,
  })
  if not ok or job <= 0 then
    return nil, "cannot run `" .. table.concat(cmd, " ") .. "`"
  end
  vim.fn.chansend(job, frame({
    jsonrpc = "2.0",
    id = 1,
    method = "initialize",
    params = { processId = vim.fn.getpid(), rootUri = vim.NIL, capabilities = vim.empty_dict() },
  }))
  vim.wait(timeout, function()
    return answer ~= nil or exit_code ~= nil
  end, 20)
  if answer ~= nil then
    vim.fn.chansend(job, frame({ jsonrpc = "2.0", id = 2, method = "shutdown" }))
    vim.fn.chansend(job, frame({ jsonrpc = "2.0", method = "exit" }))
    vim.wait(timeout, function()
      return exit_code ~= nil
    end, 20)
  end
  if exit_code == nil then
    vim.fn.jobstop(job)
  end
  if answer == nil then
    local why = exit_code ~= nil and ("it exited with code " .. exit_code) or ("no answer in " .. timeout .. " ms")
    local output = vim.trim(table.concat(stderr, "\n"))
    return nil, why .. (output ~= "" and (": " .. output) or "")
  end
  if answer.error ~= nil then
    return nil, "initialize failed: " .. tostring(answer.error.message)
  end
  return answer.result
end

function M.check()
  local report = reporter()
  local prompt_tool = require("prompt_tool")
  local config = prompt_tool.config
  report.start("prompt-tool language server")
  local executable = config.cmd[1]
  if vim.fn.executable(executable) ~= 1 then
    report.error(executable .. " not found on PATH", { prompt_tool.INSTALL_HINT })
    return
  end
  report.ok("found " .. vim.fn.exepath(executable))
  local result, problem = M.initialize(config.cmd, 15000)
  if result == nil then
    report.error("`" .. table.concat(config.cmd, " ") .. "` did not answer initialize: " .. problem, {
      "run it by hand to see why",
      prompt_tool.INSTALL_HINT,
    })
  else
    local info = result.serverInfo or {}
    report.ok(("initialize answered by %s %s"):format(tostring(info.name), tostring(info.version or "")))
  end
  local version = vim.version()
  report.info(("client API: %s (Neovim %d.%d.%d)"):format(prompt_tool.strategy(), version.major, version.minor, version.patch))
  if vim.g.loaded_prompt_tool == 1 then
    report.ok(("plugin loaded; filetype '%s' for %s under a folder holding %s"):format(
      config.filetype,
      table.concat(config.extensions, " "),
      table.concat(config.root_markers, " or ")
    ))
    local preview = config.preview
    report.ok(("live preview: :PromptToolPreview opens `%s` (filetype %s), refreshed %d ms after an edit"):format(
      preview.open,
      preview.filetype,
      preview.debounce_ms
    ))
  else
    report.warn("plugin/prompt_tool.lua was not loaded (is editors/nvim on 'runtimepath'?)")
  end
end

return M
