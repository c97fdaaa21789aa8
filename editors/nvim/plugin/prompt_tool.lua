-- prompt-tool: the filetype for prompt templates in a project, and the language server on them.
if vim.g.loaded_prompt_tool == 1 then
  return
end
vim.g.loaded_prompt_tool = 1

local prompt_tool = require("prompt_tool")
local group = vim.api.nvim_create_augroup("prompt_tool", { clear = true })

-- Neovim 0.7 assigns no filetype to *.j2: claim configured endings under a project root only.
vim.api.nvim_create_autocmd({ "BufRead", "BufNewFile" }, {
  group = group,
  pattern = "*",
  callback = function(args)
    prompt_tool.detect(args.buf)
  end,
})

if prompt_tool.strategy() == "enable" then
  vim.lsp.config("prompt_tool", prompt_tool.lsp_config())
  vim.lsp.enable("prompt_tool")
end

vim.api.nvim_create_autocmd("FileType", {
  group = group,
  pattern = "*",
  callback = function(args)
    if vim.bo[args.buf].filetype ~= prompt_tool.config.filetype or prompt_tool.root_for(args.buf) == nil then
      return
    end
    if prompt_tool.strategy() == "enable" then
      -- vim.lsp.enable silently skips a command that is not executable: say it once.
      prompt_tool.server_available()
    else
      prompt_tool.attach(args.buf)
    end
  end,
})

-- Live preview (lua/prompt_tool/preview.lua, loaded on first use).
vim.api.nvim_create_user_command("PromptToolPreview", function(opts)
  require("prompt_tool.preview").command(opts.fargs)
end, {
  nargs = "*",
  complete = function(arglead)
    return require("prompt_tool.preview").complete(arglead)
  end,
  desc = "prompt-tool: preview the template rendered with a context ([context] [phase=NAME])",
})

vim.api.nvim_create_user_command("PromptToolPreviewSource", function()
  require("prompt_tool.preview").jump()
end, { nargs = 0, desc = "prompt-tool: go to the template line of the preview line under the cursor" })
