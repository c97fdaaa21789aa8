-- Neovim 0.11+: `vim.lsp.enable("prompt_tool")` reads this file. The plugin enables it for
-- you; the table comes from require("prompt_tool"), so setup{} options apply here too.
return require("prompt_tool").lsp_config()
