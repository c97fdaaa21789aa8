-- prompt-tool language client for Neovim 0.7+: data-only defaults, optional setup().
local M = {}

local defaults = {
  -- The server command; `prompt-tool lsp` starts the same server.
  cmd = { "prompt-tool-lsp" },
  filetype = "jinja",
  -- The workspace folder is the nearest folder holding one of these.
  root_markers = { "pyproject.toml", ".git" },
  -- Sent as initializationOptions and served as the `promptTool` configuration section:
  -- databaseUrl, templateRoots, extensions, project, featureType, disabledCodes.
  settings = {},
}

M.config = vim.deepcopy(defaults)

-- One client per workspace root, reused by every buffer under that root.
local clients = {}

function M.setup(options)
  M.config = vim.tbl_deep_extend("force", vim.deepcopy(defaults), options or {})
end

local function is_file(path)
  local stat = vim.loop.fs_stat(path)
  return stat ~= nil
end

-- The nearest ancestor of `path` holding a root marker (Neovim 0.7 has no vim.fs.find).
function M.find_root(path)
  local folder = vim.fn.fnamemodify(path, ":p:h")
  while true do
    for _, marker in ipairs(M.config.root_markers) do
      if is_file(folder .. "/" .. marker) then
        return folder
      end
    end
    local parent = vim.fn.fnamemodify(folder, ":h")
    if parent == folder then
      return vim.fn.fnamemodify(path, ":p:h")
    end
    folder = parent
  end
end

local function start(root)
  local settings = { promptTool = M.config.settings }
  return vim.lsp.start_client({
    name = "prompt_tool",
    cmd = M.config.cmd,
    root_dir = root,
    init_options = settings,
    settings = settings,
    workspace_folders = { { uri = vim.uri_from_fname(root), name = vim.fn.fnamemodify(root, ":t") } },
  })
end

function M.attach(bufnr)
  local name = vim.api.nvim_buf_get_name(bufnr)
  if name == "" then
    return nil
  end
  local root = M.find_root(name)
  local client_id = clients[root]
  if client_id == nil or vim.lsp.get_client_by_id(client_id) == nil then
    client_id = start(root)
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
