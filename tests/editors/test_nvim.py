"""The Neovim plugin in a real headless Neovim: filetype, server start, pushed diagnostics."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PLUGIN = Path(__file__).resolve().parents[2] / "editors" / "nvim"
SERVER = Path(sys.executable).parent / "prompt-tool-lsp"

pytestmark = pytest.mark.nvim

INIT = """
vim.opt.runtimepath:prepend({plugin})
vim.api.nvim_create_autocmd("VimEnter", {{
  callback = function()
    local ok, err = pcall(function()
      {body}
    end)
    if not ok then
      vim.fn.writefile({{ vim.fn.json_encode({{ error = tostring(err) }}) }}, {out})
    end
    vim.cmd("qa!")
  end,
}})
"""

DIAGNOSTICS = """
      require("prompt_tool").setup({{ cmd = {{ {server} }} }})
      local bufnr = vim.api.nvim_get_current_buf()
      local found = vim.wait(30000, function()
        return #vim.diagnostic.get(bufnr) > 0
      end, 20)
      local result = {{ filetype = vim.bo.filetype, waited = found, diagnostics = {{}} }}
      for _, d in ipairs(vim.diagnostic.get(bufnr)) do
        table.insert(result.diagnostics, {{
          code = d.code, lnum = d.lnum, col = d.col, end_col = d.end_col,
          severity = d.severity, source = d.source, message = d.message,
        }})
      end
      for _, client in pairs(vim.lsp.get_active_clients()) do
        result.client = client.name
        result.root = client.config.root_dir
        client.stop()
      end
      vim.fn.writefile({{ vim.fn.json_encode(result) }}, {out})
"""

HEALTH = """
      vim.cmd("checkhealth prompt_tool")
      vim.fn.writefile(vim.api.nvim_buf_get_lines(0, 0, -1, false), {out})
"""


def lua_string(value: object) -> str:
    return json.dumps(str(value))


def run_nvim(tmp_path: Path, body: str, *files: Path) -> Path:
    if shutil.which("nvim") is None:
        pytest.skip("nvim is not installed (apt-get install neovim)")
    out = tmp_path / "result.out"
    init = tmp_path / "init.lua"
    init.write_text(INIT.format(plugin=lua_string(PLUGIN), body=body, out=lua_string(out)))
    subprocess.run(
        ["nvim", "--headless", "-n", "-i", "NONE", "-u", str(init), *map(str, files)],
        cwd=tmp_path,
        env={**os.environ, "PATH": f"{SERVER.parent}{os.pathsep}{os.environ.get('PATH', '')}"},
        timeout=120,
        check=True,
        capture_output=True,
    )
    assert out.exists(), "Neovim wrote no result"
    return out


def test_nvim_shows_the_servers_diagnostics_at_the_exact_position(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "templates").mkdir(parents=True)
    (project / "pyproject.toml").write_text("[tool.prompt-tool]\n")
    template = project / "templates" / "broken.j2"
    template.write_text("Hello\n  é {{ x }\n")

    out = run_nvim(
        tmp_path,
        DIAGNOSTICS.format(server=lua_string(SERVER), out=lua_string(tmp_path / "result.out")),
        template,
    )
    result = json.loads(out.read_text())

    assert "error" not in result, result
    assert result["filetype"] == "jinja"
    assert result["client"] == "prompt_tool"
    assert result["root"] == str(project)
    assert result["waited"] is True
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


def test_checkhealth_finds_the_server(tmp_path: Path) -> None:
    out = run_nvim(tmp_path, HEALTH.format(out=lua_string(tmp_path / "result.out")))

    report = out.read_text()
    assert "prompt-tool language server" in report
    assert "OK" in report and "prompt-tool-lsp" in report
    assert "ERROR" not in report
