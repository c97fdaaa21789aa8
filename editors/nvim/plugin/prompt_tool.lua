-- prompt-tool: filetype for Jinja prompt templates and the language server on them.
if vim.g.loaded_prompt_tool == 1 then
  return
end
vim.g.loaded_prompt_tool = 1

local group = vim.api.nvim_create_augroup("prompt_tool", { clear = true })

-- Neovim 0.7 assigns no filetype to *.j2; set one so the server attaches.
vim.api.nvim_create_autocmd({ "BufRead", "BufNewFile" }, {
  group = group,
  pattern = { "*.j2", "*.jinja", "*.jinja2", "*.prompt" },
  callback = function(args)
    vim.bo[args.buf].filetype = require("prompt_tool").config.filetype
  end,
})

vim.api.nvim_create_autocmd("FileType", {
  group = group,
  pattern = "jinja",
  callback = function(args)
    require("prompt_tool").attach(args.buf)
  end,
})
