-- Live preview: a scratch split showing a template rendered as its phase would render it
-- (`promptTool/preview`), following edits, with `gd` back to the template line of each output line.
-- The server does the work (contexts, rendering, source map); this module asks and displays.
local M = {}

local uv = vim.uv or vim.loop

local PREVIEW = "promptTool/preview"
local CONTEXTS = "promptTool/previewContexts"
local CLIENT_NAME = "prompt_tool"
-- The phases a partial can render as (prompt_tool.core.contract's run phases).
M.PHASES = { "orchestrator", "analysis", "implementation" }

M.namespace = vim.api.nvim_create_namespace("prompt_tool_preview")

-- Open previews, by preview buffer and by the template buffer they show.
local by_preview = {}
local by_source = {}

--- JSON null arrives as vim.NIL inside arrays (and, depending on the version, objects).
local function present(value)
  if value == vim.NIL then
    return nil
  end
  return value
end

--- Neovim 0.11+ has client methods (the dot form is deprecated); 0.7–0.10 take no self.
local function request(client, method, params, handler, bufnr)
  if vim.fn.has("nvim-0.11") == 1 then
    return client:request(method, params, handler, bufnr)
  end
  return client.request(method, params, handler, bufnr)
end

local function request_sync(client, method, params, timeout, bufnr)
  if vim.fn.has("nvim-0.11") == 1 then
    return client:request_sync(method, params, timeout, bufnr)
  end
  return client.request_sync(method, params, timeout, bufnr)
end

local function notify(message, level)
  vim.notify("prompt-tool: " .. message, level or vim.log.levels.INFO)
end

--- The prompt-tool client attached to `bufnr`, or nil.
function M.client_for(bufnr)
  local clients = vim.lsp.get_clients and vim.lsp.get_clients() or vim.lsp.get_active_clients()
  for _, client in pairs(clients) do
    if client.name == CLIENT_NAME and vim.lsp.buf_is_attached(bufnr, client.id) then
      return client
    end
  end
  return nil
end

--- The template a command run in `bufnr` is about (itself, or the source of the preview it
--- shows) and, in a preview, the phase it was asked to render as.
local function source_of(bufnr)
  local state = by_preview[bufnr]
  if state ~= nil then
    return state.source, state.sent_phase
  end
  return bufnr, nil
end

--- `phase=NAME` words set the phase; the other words, joined, name the context (id or label).
function M.parse_args(words)
  local rest, phase = {}, nil
  for _, word in ipairs(words) do
    local value = word:match("^phase=(.*)$")
    if value ~= nil then
      phase = value
    else
      table.insert(rest, word)
    end
  end
  local wanted = table.concat(rest, " ")
  return wanted ~= "" and wanted or nil, phase
end

local function find_context(contexts, wanted)
  for _, context in ipairs(contexts) do
    if context.id == wanted or context.label == wanted then
      return context
    end
  end
  return nil
end

local function context_names(contexts)
  local names = {}
  for _, context in ipairs(contexts) do
    table.insert(names, context.label)
  end
  return table.concat(names, ", ")
end

--- Chooses the context: the one named in the command, else the user's pick.
local function choose_context(contexts, wanted, on_choice)
  if wanted ~= nil then
    local found = find_context(contexts, wanted)
    if found == nil then
      local known = context_names(contexts)
      notify(("no preview context %q (known: %s)"):format(wanted, known), vim.log.levels.ERROR)
      return
    end
    return on_choice(found)
  end
  vim.ui.select(contexts, {
    prompt = "Preview with context:",
    format_item = function(context)
      local detail = present(context.detail)
      return detail ~= nil and detail ~= "" and (context.label .. " (" .. detail .. ")") or context.label
    end,
  }, function(choice)
    if choice ~= nil then
      on_choice(choice)
    end
  end)
end

--- Chooses the phase: the command's, else the template's, else (a partial) the user's pick.
local function choose_phase(given, template_phase, on_choice)
  if given ~= nil or template_phase ~= nil then
    return on_choice(given, given or template_phase)
  end
  vim.ui.select(M.PHASES, { prompt = "Render the partial as phase:" }, function(choice)
    if choice ~= nil then
      on_choice(choice, choice)
    end
  end)
end

local function contexts_params(bufnr, phase)
  return { textDocument = { uri = vim.uri_from_bufnr(bufnr) }, phase = phase }
end

--- `:PromptToolPreview [context] [phase=NAME]`.
function M.command(words)
  local source, previous_phase = source_of(vim.api.nvim_get_current_buf())
  local client = M.client_for(source)
  if client == nil then
    notify("no prompt-tool language server is attached to this buffer", vim.log.levels.ERROR)
    return
  end
  local wanted, given_phase = M.parse_args(words)
  given_phase = given_phase or previous_phase
  request(client, CONTEXTS, contexts_params(source, given_phase), function(err, answer)
    if err ~= nil or answer == nil then
      notify("cannot list preview contexts: " .. tostring(err and err.message), vim.log.levels.ERROR)
      return
    end
    choose_phase(given_phase, present(answer.phase), function(sent_phase, phase)
      choose_context(answer.contexts, wanted, function(context)
        M.open(source, client, context, sent_phase, phase)
      end)
    end)
  end, source)
end

--- Completion of `:PromptToolPreview`: context ids and labels, and `phase=` words.
function M.complete(arglead)
  local source = source_of(vim.api.nvim_get_current_buf())
  local client = M.client_for(source)
  local candidates = {}
  for _, phase in ipairs(M.PHASES) do
    table.insert(candidates, "phase=" .. phase)
  end
  if client ~= nil then
    local response = request_sync(client, CONTEXTS, contexts_params(source, nil), 2000, source)
    local answer = response ~= nil and response.result or nil
    for _, context in ipairs(answer ~= nil and answer.contexts or {}) do
      table.insert(candidates, context.id)
      table.insert(candidates, context.label)
    end
  end
  return vim.tbl_filter(function(candidate)
    return vim.startswith(candidate, arglead)
  end, candidates)
end

--- The summary shown in the preview window's statusline (`b:prompt_tool_preview.summary`).
local function summarize(state, answer, problem)
  local summary = {
    context = state.context.id,
    phase = state.phase,
    version = present(answer and answer.version),
    characters = answer and answer.characters or 0,
    tokens = answer and answer.tokens or 0,
    token_counter = present(answer and answer.tokenCounter),
    error = problem,
  }
  local text = ("%s · %s · %d characters · ~%d tokens"):format(
    state.phase,
    state.context.label,
    summary.characters,
    summary.tokens
  )
  if problem ~= nil then
    text = text .. " · error: " .. problem
  end
  summary.summary = text
  vim.b[state.preview].prompt_tool_preview = summary
end

--- Output lines as the server counts them (at \n, \r\n and \r), without the final empty one.
local function split_lines(text)
  local unified = text:gsub("\r\n", "\n"):gsub("\r", "\n")
  local lines = vim.split(unified, "\n", { plain = true })
  if #lines > 1 and lines[#lines] == "" then
    table.remove(lines)
  end
  return lines
end

local function clear_error(state)
  if state.error_buf ~= nil and vim.api.nvim_buf_is_valid(state.error_buf) then
    vim.diagnostic.reset(M.namespace, state.error_buf)
  end
  state.error_buf = nil
end

--- The text of line `line` (0-based) of a buffer, read from its file when it is not loaded.
local function line_text(bufnr, line)
  if vim.api.nvim_buf_is_loaded(bufnr) then
    return vim.api.nvim_buf_get_lines(bufnr, line, line + 1, false)[1]
  end
  local name = vim.api.nvim_buf_get_name(bufnr)
  local ok, read = pcall(vim.fn.readfile, name, "", line + 1)
  return ok and read[line + 1] or nil
end

--- An LSP position's character (in the client's encoding) as the byte column vim.diagnostic
--- wants (Neovim 0.11 changed vim.str_byteindex's arguments).
local function byte_column(bufnr, position, encoding)
  local text = position.character > 0 and encoding ~= "utf-8" and line_text(bufnr, position.line)
  if not text then
    return position.character
  end
  local ok, column
  if vim.fn.has("nvim-0.11") == 1 then
    ok, column = pcall(vim.str_byteindex, text, encoding, position.character, false)
  else
    ok, column = pcall(vim.str_byteindex, text, position.character, encoding == "utf-16")
  end
  return ok and column or position.character
end

--- A render error as a diagnostic on the template it happened in (added as a buffer if needed).
local function show_error(state, error)
  clear_error(state)
  local range = error.range
  local bufnr = vim.uri_to_bufnr(present(error.uri) or vim.uri_from_bufnr(state.source))
  local client = vim.lsp.get_client_by_id(state.client_id)
  local encoding = client ~= nil and client.offset_encoding or "utf-16"
  vim.diagnostic.set(M.namespace, bufnr, {
    {
      lnum = range.start.line,
      col = byte_column(bufnr, range.start, encoding),
      end_lnum = range["end"].line,
      end_col = byte_column(bufnr, range["end"], encoding),
      severity = error.severity,
      source = error.source,
      message = error.message,
    },
  })
  state.error_buf = bufnr
end

local function render(state, answer)
  local buf = state.preview
  vim.bo[buf].modifiable = true
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, split_lines(answer.text))
  vim.bo[buf].modifiable = false
  vim.bo[buf].modified = false
  state.source_map = answer.sourceMap or {}
  local error = present(answer.error)
  if error ~= nil then
    show_error(state, error)
    summarize(state, answer, error.message)
  else
    clear_error(state)
    summarize(state, answer, nil)
  end
end

--- Shows an answer unless a newer one is shown or the template changed since it was rendered.
local function on_answer(state, sequence, err, answer)
  if state.closed or sequence < state.oldest_wanted then
    return
  end
  if err ~= nil or answer == nil then
    state.oldest_wanted = sequence
    summarize(state, nil, tostring(err and err.message or "no answer"))
    return
  end
  local rendered = present(answer.version)
  local current = vim.lsp.util.buf_versions[state.source]
  if rendered ~= nil and current ~= nil and rendered < current then
    -- Rendered before the last edit reached the server: ask again rather than show it.
    M.refresh_later(state)
    return
  end
  state.oldest_wanted = sequence
  render(state, answer)
end

--- Asks for a preview of the template as it is now.
function M.refresh(state)
  if state.closed then
    return
  end
  local client = vim.lsp.get_client_by_id(state.client_id) or M.client_for(state.source)
  if client == nil then
    summarize(state, nil, "no language server")
    return
  end
  state.client_id = client.id
  state.sent = state.sent + 1
  local sequence = state.sent
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(state.source) },
    context = state.context.id,
    phase = state.sent_phase,
  }
  -- No buffer: the client first sends every pending change, included templates' too.
  request(client, PREVIEW, params, function(err, answer)
    on_answer(state, sequence, err, answer)
  end, nil)
end

--- Refreshes after `preview.debounce_ms` without a further change.
function M.refresh_later(state)
  if state.closed then
    return
  end
  local delay = require("prompt_tool").config.preview.debounce_ms
  state.timer:stop()
  state.timer:start(delay, 0, vim.schedule_wrap(function()
    M.refresh(state)
  end))
end

--- Stops following: timer, autocommands and the error diagnostic go with the preview.
local function close(state)
  if state.closed then
    return
  end
  state.closed = true
  state.timer:stop()
  state.timer:close()
  pcall(vim.api.nvim_del_augroup_by_id, state.group)
  clear_error(state)
  by_preview[state.preview] = nil
  if by_source[state.source] == state then
    by_source[state.source] = nil
  end
end

--- A change in the template, or in a template or sample the same server has open.
local function concerns(state, bufnr)
  return bufnr == state.source or vim.lsp.buf_is_attached(bufnr, state.client_id)
end

local function follow(state)
  local group = state.group
  vim.api.nvim_create_autocmd({ "TextChanged", "TextChangedI", "TextChangedP", "BufWritePost" }, {
    group = group,
    pattern = "*",
    callback = function(args)
      if concerns(state, args.buf) then
        M.refresh_later(state)
      end
    end,
  })
  vim.api.nvim_create_autocmd("BufWipeout", {
    group = group,
    buffer = state.preview,
    callback = function()
      close(state)
    end,
  })
  vim.api.nvim_create_autocmd("BufWipeout", {
    group = group,
    buffer = state.source,
    callback = function()
      vim.schedule(function()
        if vim.api.nvim_buf_is_valid(state.preview) then
          vim.api.nvim_buf_delete(state.preview, { force = true })
        end
        close(state)
      end)
    end,
  })
end

local function preview_name(source)
  local name = vim.api.nvim_buf_get_name(source)
  return "prompt-tool://preview/" .. vim.fn.fnamemodify(name, ":~:.")
end

local function create_buffer(source)
  local buf = vim.api.nvim_create_buf(false, true)
  vim.bo[buf].buftype = "nofile"
  vim.bo[buf].bufhidden = "wipe"
  vim.bo[buf].swapfile = false
  pcall(vim.api.nvim_buf_set_name, buf, preview_name(source))
  vim.bo[buf].filetype = require("prompt_tool").config.preview.filetype
  vim.bo[buf].modifiable = false
  vim.keymap.set("n", "gd", M.jump, {
    buffer = buf,
    desc = "prompt-tool: go to the template line of this output line",
  })
  return buf
end

--- Opens the split (the cursor stays in the template's window) and returns its buffer.
local function open_window(source)
  local here = vim.api.nvim_get_current_win()
  local buf = create_buffer(source)
  vim.cmd(require("prompt_tool").config.preview.open)
  local window = vim.api.nvim_get_current_win()
  vim.api.nvim_win_set_buf(window, buf)
  vim.wo[window].statusline = "%<%f%=%{exists('b:prompt_tool_preview') ? b:prompt_tool_preview.summary : ''} "
  vim.api.nvim_set_current_win(here)
  return buf, here
end

--- Shows `source` rendered with `context` in a preview split (reusing the one it has).
--- `sent_phase` is the phase asked for (a partial's), `phase` the one it renders as.
function M.open(source, client, context, sent_phase, phase)
  local state = by_source[source]
  if state == nil then
    local preview, window = open_window(source)
    state = {
      source = source,
      source_window = window,
      preview = preview,
      client_id = client.id,
      timer = uv.new_timer(),
      group = vim.api.nvim_create_augroup("prompt_tool_preview_" .. preview, { clear = true }),
      -- Requests are numbered; an answer to one older than `oldest_wanted` is not shown.
      sent = 0,
      oldest_wanted = 0,
      source_map = {},
    }
    by_preview[preview] = state
    by_source[source] = state
    follow(state)
  end
  state.context = context
  state.sent_phase = sent_phase
  state.phase = phase
  state.oldest_wanted = state.sent + 1
  summarize(state, nil, nil)
  M.refresh(state)
  return state.preview
end

--- The window to show a source line in: the template's, else the previous one, else a new split.
local function target_window(state)
  if vim.api.nvim_win_is_valid(state.source_window) then
    return state.source_window
  end
  local previous = vim.fn.win_getid(vim.fn.winnr("#"))
  if previous ~= 0 and previous ~= vim.api.nvim_get_current_win() then
    return previous
  end
  vim.cmd("aboveleft split")
  return vim.api.nvim_get_current_win()
end

--- `gd` / `:PromptToolPreviewSource`: opens the template line the cursor's output line came from.
function M.jump()
  local state = by_preview[vim.api.nvim_get_current_buf()]
  if state == nil then
    notify("not a preview buffer (open one with :PromptToolPreview)", vim.log.levels.WARN)
    return
  end
  local line = vim.api.nvim_win_get_cursor(0)[1]
  local origin = present(state.source_map[line])
  local uri = origin ~= nil and present(origin.uri) or nil
  if uri == nil then
    notify("this output line has no known template line")
    return
  end
  local bufnr = vim.uri_to_bufnr(uri)
  local window = target_window(state)
  vim.api.nvim_set_current_win(window)
  vim.cmd("normal! m'")
  vim.bo[bufnr].buflisted = true
  vim.api.nvim_win_set_buf(window, bufnr)
  local last = vim.api.nvim_buf_line_count(bufnr)
  vim.api.nvim_win_set_cursor(window, { math.min(origin.line + 1, last), 0 })
end

return M
