// The live preview against the real prompt-tool-lsp: the command opens a virtual document
// beside the template, follows edits, never shows a stale answer, jumps to source lines, and
// shows render errors as diagnostics. Same bundle and server as extension.test.ts.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, test } from "node:test";

import { encodeTarget } from "../src/previewModel";
import { EXTENSION_MAIN, LoadedExtension, SERVER, loadExtension } from "./harness";
import { DiagnosticSeverity, QuickPickItem, TextDocument, TextEditor, TextEditorSelectionChangeKind, Uri } from "./vscode-stub";

const PREVIEW = "promptTool.preview";
const GO_TO_SOURCE = "promptTool.previewGoToSource";
const SCHEME = "prompt-tool-preview";
const COLLECTION = "prompt-tool preview";
const TEMPLATE = "Static head\n{% include 'partials/facts.j2' %}\nTail {{ feature.name | length }}\n";
const RENDERED = /^Static head\nFacts line\nTail \d+\n$/;

let workspace: string;
let template: string;
let partial: string;
let loaded: LoadedExtension | undefined;

beforeEach(() => {
  workspace = mkdtempSync(path.join(tmpdir(), "prompt-tool-preview-"));
  mkdirSync(path.join(workspace, "templates", "partials"), { recursive: true });
  writeFileSync(path.join(workspace, "pyproject.toml"), '[tool.prompt-tool.lint]\nroots = ["templates"]\n');
  template = path.join(workspace, "templates", "analysis.j2");
  partial = path.join(workspace, "templates", "partials", "facts.j2");
  writeFileSync(template, TEMPLATE);
  writeFileSync(partial, "Facts line\n");
});

afterEach(async () => {
  await loaded?.shutdown();
  loaded = undefined;
  rmSync(workspace, { recursive: true, force: true });
});

/** A script line for the next quick pick: the item with this label. */
function choose(label: string) {
  return (items: readonly QuickPickItem[]) => {
    const item = items.find((candidate) => candidate.label === label);
    assert.ok(item, `no ${label} in ${JSON.stringify(items.map((candidate) => candidate.label))}`);
    return item;
  };
}

async function started(): Promise<LoadedExtension> {
  const extension = loadExtension(EXTENSION_MAIN, workspace);
  extension.recorder.configuration.set("promptTool.server.command", [SERVER]);
  await extension.extension.activate(extension.context);
  await extension.status((text) => text.includes("$(check)"));
  loaded = extension;
  return extension;
}

function window(extension: LoadedExtension): { activeTextEditor: TextEditor | undefined; visibleTextEditors: TextEditor[] } {
  return extension.vscode.window as { activeTextEditor: TextEditor | undefined; visibleTextEditors: TextEditor[] };
}

function previewEditor(extension: LoadedExtension): TextEditor {
  const editor = window(extension).visibleTextEditors.find((candidate) => candidate.document.uri.scheme === SCHEME);
  assert.ok(editor, "no preview editor is visible");
  return editor;
}

/** Opens the template and its preview with the generated sample. */
async function openPreview(extension: LoadedExtension): Promise<{ source: TextDocument; preview: TextDocument }> {
  const source = await extension.open(template);
  extension.recorder.quickPickAnswers.push(choose("generated sample"));
  await extension.execute(PREVIEW);
  return { source, preview: previewEditor(extension).document };
}

/** Resolves with the next document shown by the extension. */
function nextShown(extension: LoadedExtension): Promise<{ editor: TextEditor; options: { preserveFocus?: boolean } }> {
  return new Promise((resolve) => extension.recorder.once("shown", (editor: TextEditor, options: { preserveFocus?: boolean }) => resolve({ editor, options })));
}

test("the preview command opens the rendered template beside it and follows its edits", async () => {
  const extension = await started();
  const { source, preview } = await openPreview(extension);

  assert.match(preview.getText(), RENDERED);
  assert.equal(preview.languageId, "plaintext");
  assert.equal(previewEditor(extension).viewColumn, 2);
  assert.equal(window(extension).activeTextEditor?.document, source, "the focus stays on the template");
  const [picked] = extension.recorder.quickPicks;
  assert.deepEqual(
    picked.items.map((item) => [item.label, item.description]),
    [["generated from the contract", undefined], ["generated sample", "seed 0"]],
  );
  const status = extension.recorder.statusItems[1];
  assert.match(status.text, /^\$\(open-preview\) \d+ chars · ~\d+ tokens$/);
  assert.equal(status.visible, true);

  extension.edit(source, `Edited line\n${TEMPLATE}`);
  const edited = await extension.document(SCHEME, (text) => text.startsWith("Edited line\n"));
  assert.equal(edited, preview);
  assert.match(preview.getText().slice("Edited line\n".length), RENDERED);
});

test("edits made while a render is in flight never show a stale preview", async () => {
  const extension = await started();
  const { source } = await openPreview(extension);
  // Observe the provider as VS Code does: each time it says the preview changed, read its text.
  const provider = extension.recorder.contentProviders.get(SCHEME);
  assert.ok(provider?.onDidChange);
  const shown: Promise<[string | undefined, string]>[] = [];
  provider.onDidChange((uri) => {
    const sourceText = source.getText();
    shown.push(Promise.resolve(provider.provideTextDocumentContent(uri, undefined)).then((text) => [text, sourceText]));
  });
  // Each time a render starts (the status spins), the user types again before it answers.
  let typed = 0;
  extension.recorder.on("status", (text: string) => {
    if (text.startsWith("$(sync~spin)") && typed < 5) {
      typed += 1;
      const next = `Version ${typed}\n`;
      setImmediate(() => extension.edit(source, next));
    }
  });

  extension.edit(source, "Version 0\n");

  await extension.document(SCHEME, (text) => text === "Version 5\n");
  assert.equal(typed, 5);
  // Static text renders as itself: whenever the preview changed, it showed the template as it was then.
  for (const [previewText, sourceText] of await Promise.all(shown)) {
    assert.equal(previewText, sourceText);
  }
});

test("clicking a preview line reveals its source line in the template's column", async () => {
  const extension = await started();
  const { source } = await openPreview(extension);
  const editor = previewEditor(extension);

  const included = nextShown(extension);
  extension.select(editor, 1);
  const first = await included;
  assert.equal(first.editor.document.uri.toString(), Uri.file(partial).toString());
  assert.deepEqual([first.editor.viewColumn, first.editor.selection.active.line, first.options.preserveFocus], [1, 0, true]);
  assert.equal(window(extension).activeTextEditor, editor, "the preview keeps the focus");

  const own = nextShown(extension);
  extension.select(editor, 2);
  const second = await own;
  assert.deepEqual([second.editor.document, second.editor.viewColumn, second.editor.selection.active.line], [source, 1, 2]);

  // A programmatic move does nothing; the command jumps from the cursor and takes the focus.
  extension.select(editor, 0, TextEditorSelectionChangeKind.Command);
  const jumped = nextShown(extension);
  await extension.execute(GO_TO_SOURCE);
  const third = await jumped;
  assert.deepEqual([third.editor.document, third.editor.selection.active.line, third.options.preserveFocus], [source, 0, false]);
  assert.equal(window(extension).activeTextEditor, third.editor);
});

test("a partial asks for a phase, then renders as that phase", async () => {
  const extension = await started();
  await extension.open(partial);
  await extension.open(template);
  extension.recorder.quickPickAnswers.push(choose("implementation"), choose("generated sample"));

  // As the title button of the partial's editor does: its document's URI is the argument.
  await extension.execute(PREVIEW, Uri.file(partial));

  const [phases, contexts] = extension.recorder.quickPicks;
  assert.deepEqual(
    phases.items.map((item) => item.label),
    ["orchestrator", "analysis", "implementation"],
  );
  assert.match(String(contexts.options?.placeHolder), /\(implementation\)/);
  const preview = previewEditor(extension).document;
  assert.equal(preview.getText(), "Facts line\n");
  assert.match(preview.uri.path, /Preview facts\.j2 \(generated sample as implementation\)$/);
});

test("a preview restored with the window, before the server runs, renders once it does", async () => {
  const extension = loadExtension(EXTENSION_MAIN, workspace);
  loaded = extension;
  extension.recorder.configuration.set("promptTool.server.command", [SERVER]);
  const source = Uri.file(template);
  const target = { source: source.toString(), context: "generated:0", phase: null, label: "generated sample" };
  const workspaceApi = extension.vscode.workspace as { openTextDocument(uri: Uri): Promise<TextDocument> };

  const activated = extension.extension.activate(extension.context);
  // VS Code reopens the tab: it asks the provider for the URI's text while the server starts.
  const preview = await workspaceApi.openTextDocument(source.with({ scheme: SCHEME, path: "/anywhere", query: encodeTarget(target) }));
  assert.equal(preview.getText(), "", "no server to ask yet");
  await activated;

  assert.equal(await extension.document(SCHEME, (text) => RENDERED.test(text)), preview);
});

test("a render error is a diagnostic at its template line until fixed, and closing the preview clears it", async () => {
  writeFileSync(template, "ok\n{{ 1 // 0 }}\n");
  const extension = await started();
  const inCollection = (empty: boolean) => (report: { collection: string; diagnostics: readonly unknown[] }) =>
    report.collection === COLLECTION && (report.diagnostics.length === 0) === empty;
  const failed = extension.diagnostics(template, inCollection(false));
  const { source, preview } = await openPreview(extension);

  const [error] = (await failed).diagnostics;
  assert.equal(error.range.start.line, 1);
  assert.equal(error.severity, DiagnosticSeverity.Error);
  assert.equal(error.source, COLLECTION);
  assert.match(error.message, /division|zero/);
  assert.equal(preview.getText(), "ok\n", "the preview keeps what rendered until the failure");

  const fixed = extension.diagnostics(template, inCollection(true));
  extension.edit(source, "ok\n{{ 1 // 1 }}\n");
  await fixed;
  await extension.document(SCHEME, (text) => text === "ok\n1\n");

  const again = extension.diagnostics(template, inCollection(false));
  extension.edit(source, "ok\n{{ 2 // 0 }}\n");
  await again;
  const cleared = extension.diagnostics(template, inCollection(true));
  extension.closeTabs(preview.uri);
  await cleared;
  assert.equal(extension.recorder.statusItems[1].visible, false);
  assert.equal(preview.isClosed, true);
});
