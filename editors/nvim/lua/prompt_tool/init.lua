-- prompt-tool language client for Neovim 0.7+: data-only defaults, optional setup().
-- Neovim 0.11+ gets `vim.lsp.config`/`vim.lsp.enable` (with lsp/prompt_tool.lua), 0.8–0.10
-- `vim.lsp.start`, and only 0.7 the older `vim.lsp.start_client`.
local M = {}

local uv = vim.uv or vim.loop

M.INSTALL_HINT = "install the server with `pip install git+<repository URL>` "
  .. "(or `pip install -e .` in a checkout), or set cmd in require('prompt_tool').setup{}"

local defaults = {
  -- The server command; `{ "prompt-tool", "lsp" }` starts the same server.
  cmd = { "prompt-tool-lsp" },
  filetype = "jinja",
  -- Only files with these endings, under a folder holding a root marker, are claimed.
  extensions = { ".j2", ".jinja", ".jinja2", ".prompt" },
  root_markers = { "pyproject.toml", ".git" },
  -- The `promptTool` section (databaseUrl, templateRoots, extensions, project, featureType,
  -- disabledCodes), either bare or as { promptTool = { … } }. Sent as initializationOptions
  -- and served for workspace/configuration.
  settings = {},
  on_attach = nil,
  capabilities = nil,
  -- :PromptToolPreview: the pause after an edit before asking for a new preview, the preview
  -- buffer's filetype, and the command that opens its window.
  preview = { debounce_ms = 75, filetype = "markdown", open = "rightbelow vsplit" },
}

M.config = vim.deepcopy(defaults)

-- Neovim 0.7: one client per root, reused by every buffer under it (vim.lsp.start does this
-- itself from 0.8 on).
local clients = {}
local missing_reported = false

--- Which API starts the client on this Neovim.
function M.strategy()
  if vim.lsp.config ~= nil and vim.lsp.enable ~= nil then
    return "enable"
  elseif vim.lsp.start ~= nil then
    return "start"
  end
  return "start_client"
end

local function exists(path)
  return uv.fs_stat(path) ~= nil
end

local function has_extension(name)
  for _, extension in ipairs(M.config.extensions) do
    if name:sub(-#extension) == extension then
      return true
    end
  end
  return false
end

--- The nearest folder above `path` holding a root marker, or nil (Neovim 0.7 has no vim.fs).
function M.find_root(path)
  local folder = vim.fn.fnamemodify(path, ":p:h")
  while true do
    for _, marker in ipairs(M.config.root_markers) do
      if exists(folder .. "/" .. marker) then
        return folder
      end
    end
    local parent = vim.fn.fnamemodify(folder, ":h")
    if parent == folder then
      return nil
    end
    folder = parent
  end
end

--- The project root of a buffer the plugin claims (a configured ending, under a marker), else nil.
function M.root_for(bufnr)
  local name = vim.api.nvim_buf_get_name(bufnr)
  if name == "" or not has_extension(name) then
    return nil
  end
  return M.find_root(name)
end

--- True when the server command is executable; otherwise says so once, with an install hint.
function M.server_available()
  local executable = M.config.cmd[1]
  if executable ~= nil and vim.fn.executable(executable) == 1 then
    return true
  end
  if not missing_reported then
    missing_reported = true
    vim.notify(
      ("prompt-tool: %s not found on PATH; %s"):format(tostring(executable), M.INSTALL_HINT),
      vim.log.levels.ERROR
    )
  end
  return false
end

--- The `promptTool` section as the server reads it; an empty one is a JSON object, not `[]`.
function M.settings()
  local settings = M.config.settings or {}
  local section = settings.promptTool
  if section == nil then
    section = settings
  end
  if next(section) == nil then
    section = vim.empty_dict()
  end
  return { promptTool = section }
end

--- The client configuration, shared by lsp/prompt_tool.lua and every start path.
function M.lsp_config()
  local settings = M.settings()
  return {
    name = "prompt_tool",
    cmd = M.config.cmd,
    filetypes = { M.config.filetype },
    init_options = settings,
    settings = settings,
    on_attach = M.config.on_attach,
    capabilities = M.config.capabilities,
    -- Neovim 0.11+: no marker (or no server), no client for this buffer.
    root_dir = function(bufnr, on_dir)
      local root = M.root_for(bufnr)
      if root ~= nil and M.server_available() then
        on_dir(root)
      end
    end,
  }
end

local function folder_config(root)
  local config = M.lsp_config()
  config.root_dir = root
  config.workspace_folders = { { uri = vim.uri_from_fname(root), name = vim.fn.fnamemodify(root, ":t") } }
  return config
end

function M.setup(options)
  M.config = vim.tbl_deep_extend("force", vim.deepcopy(defaults), options or {})
  if options ~= nil and options.settings ~= nil then
    -- A list or an empty table must not be merged into the defaults' table.
    M.config.settings = options.settings
  end
  if M.strategy() == "enable" then
    vim.lsp.config("prompt_tool", M.lsp_config())
  end
end

--- Claims a buffer: sets the filetype when it has a configured ending under a project root.
function M.detect(bufnr)
  if M.root_for(bufnr) ~= nil and vim.bo[bufnr].filetype ~= M.config.filetype then
    vim.bo[bufnr].filetype = M.config.filetype
  end
end

--- Starts (or reuses) the root's client for a buffer on Neovim 0.7–0.10; returns its id.
function M.attach(bufnr)
  local root = M.root_for(bufnr)
  if root == nil or not M.server_available() then
    return nil
  end
  if M.strategy() ~= "start_client" then
    return vim.lsp.start(folder_config(root), { bufnr = bufnr })
  end
  local client_id = clients[root]
  if client_id == nil or vim.lsp.get_client_by_id(client_id) == nil then
    client_id = vim.lsp.start_client(folder_config(root))
    if client_id == nil then
      vim.notify("prompt-tool: cannot start " .. table.concat(M.config.cmd, " "), vim.log.levels.ERROR)
      return nil
    end
    clients[root] = client_id
  end
  vim.lsp.buf_attach_client(bufnr, client_id)
  return client_id
end

return M
