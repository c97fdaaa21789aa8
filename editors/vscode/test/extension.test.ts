// The bundled extension, loaded as VS Code loads it, starts the real prompt-tool-lsp through
// vscode-languageclient and shows its diagnostics; restart recovers from a failed start.
// PROMPT_TOOL_EXTENSION_MAIN picks the bundle (default out/extension.js; CI passes the one
// unpacked from the .vsix); PROMPT_TOOL_LSP the server (default prompt-tool-lsp on PATH).
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, test } from "node:test";

import { EXTENSION_MAIN, LoadedExtension, SERVER, loadExtension } from "./harness";
import { createVscode, Diagnostic, DiagnosticsReport } from "./vscode-stub";

const REFRESH = "promptTool.refreshDatabase";
const RESTART = "promptTool.restartServer";
const SHOW_OUTPUT = "promptTool.showOutput";

let workspace: string;
let template: string;
let loaded: LoadedExtension | undefined;

beforeEach(() => {
  workspace = mkdtempSync(path.join(tmpdir(), "prompt-tool-vscode-"));
  mkdirSync(path.join(workspace, "templates"));
  writeFileSync(path.join(workspace, "pyproject.toml"), "[tool.prompt-tool.lint]\nroots = [\"templates\"]\n");
  template = path.join(workspace, "templates", "broken.j2");
  writeFileSync(template, "Hello\n  {{ x }\n");
});

afterEach(async () => {
  await loaded?.shutdown();
  loaded = undefined;
  rmSync(workspace, { recursive: true, force: true });
});

function codeOf(diagnostic: Diagnostic): unknown {
  const code = diagnostic.code;
  return typeof code === "object" && code !== null ? code.value : code;
}

const hasSyntaxError = (report: DiagnosticsReport) => report.diagnostics.some((item) => codeOf(item) === "PT001");

function execute(extension: LoadedExtension, command: string): Promise<unknown> {
  return extension.execute(command);
}

test("the stub refuses a command id registered twice, as VS Code does", () => {
  const { vscode } = createVscode(path.resolve(__dirname, "../../package.json"), tmpdir());
  const commands = vscode.commands as { registerCommand(id: string, run: () => void): { dispose(): void } };
  const first = commands.registerCommand("x.y", () => undefined);
  assert.throws(() => commands.registerCommand("x.y", () => undefined), /command 'x\.y' already exists/);
  first.dispose();
  commands.registerCommand("x.y", () => undefined).dispose();
});

test("the extension starts the real server and shows its diagnostics", async () => {
  loaded = loadExtension(EXTENSION_MAIN, workspace);
  loaded.recorder.configuration.set("promptTool.server.command", [SERVER]);
  await loaded.open(template);
  const diagnostics = loaded.diagnostics(template, hasSyntaxError);

  await loaded.extension.activate(loaded.context);
  const report = await diagnostics;

  const [syntax] = report.diagnostics.filter((item) => codeOf(item) === "PT001");
  assert.equal(syntax.message, "unexpected '}'");
  assert.equal(syntax.source, "prompt-tool");
  assert.deepEqual([syntax.range.start.line, syntax.range.start.character], [1, 0]);
  assert.match(await loaded.status((text) => text.includes("$(check)")), /prompt-tool/);
  assert.equal(loaded.recorder.statusItems[0].command, SHOW_OUTPUT);
  assert.equal(loaded.recorder.contexts.get("promptTool.serverRunning"), true);
  // The server's command is registered once, by the client, and runs on the server.
  assert.ok(loaded.recorder.commands.has(REFRESH));
  await execute(loaded, REFRESH);
  await execute(loaded, SHOW_OUTPUT);
  assert.equal(loaded.recorder.outputChannels[0].shown, 1);
  assert.deepEqual(loaded.recorder.messages.filter((message) => message.kind === "error"), []);
});

test("restart recovers from a failed start, and a second restart registers nothing twice", async () => {
  loaded = loadExtension(EXTENSION_MAIN, workspace);
  loaded.recorder.configuration.set("promptTool.server.command", [path.join(workspace, "no-such-server")]);
  await loaded.open(template);

  await loaded.extension.activate(loaded.context);

  await loaded.status((text) => text.includes("$(error)"));
  assert.equal(loaded.recorder.statusItems[0].backgroundColor?.id, "statusBarItem.errorBackground");
  assert.ok(!loaded.recorder.commands.has(REFRESH));
  assert.equal(loaded.recorder.contexts.get("promptTool.serverRunning"), false);
  const output = loaded.recorder.outputChannels[0].lines.join("\n");
  assert.match(output, /did not start/);
  assert.match(output, /pip install/);

  loaded.recorder.configuration.set("promptTool.server.command", [SERVER]);
  const first = loaded.diagnostics(template, hasSyntaxError);
  await execute(loaded, RESTART);
  await first;
  await loaded.status((text) => text.includes("$(check)"));

  const second = loaded.diagnostics(template, hasSyntaxError);
  await execute(loaded, RESTART);
  await second;
  await loaded.status((text) => text.includes("$(check)"));
  assert.ok(loaded.recorder.commands.has(REFRESH));
  await execute(loaded, REFRESH);

  // Two restarts at once (a settings change and the command) run in turn, ending with one client.
  const third = loaded.diagnostics(template, hasSyntaxError);
  await Promise.all([execute(loaded, RESTART), execute(loaded, RESTART)]);
  await third;
  assert.match(loaded.recorder.statusItems[0].text, /\$\(check\)/);
  await execute(loaded, REFRESH);
  assert.deepEqual(loaded.recorder.messages.filter((message) => message.kind === "error" && /already exists/.test(message.text)), []);
});
