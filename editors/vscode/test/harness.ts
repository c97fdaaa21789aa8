// Loads a built extension (out/extension.js, or the one inside a .vsix) against the stub
// `vscode` module, the way VS Code's extension host would: require, then activate.
import Module from "node:module";
import * as path from "node:path";

import { Recorder, createVscode, DiagnosticsReport, TextDocument, TextEditor, TextEditorSelectionChangeKind, Uri } from "./vscode-stub";

/** The bundle under test (CI passes the one unpacked from the .vsix) and the server it starts. */
export const EXTENSION_MAIN = process.env.PROMPT_TOOL_EXTENSION_MAIN ?? path.resolve(__dirname, "../../out/extension.js");
export const SERVER = process.env.PROMPT_TOOL_LSP ?? "prompt-tool-lsp";

interface ExtensionModule {
  activate(context: unknown): Promise<void>;
  deactivate(): Promise<void>;
}

type Load = (request: string, parent: unknown, isMain: boolean) => unknown;

export interface LoadedExtension {
  readonly extension: ExtensionModule;
  readonly recorder: Recorder;
  readonly vscode: Record<string, unknown>;
  readonly context: { subscriptions: { dispose(): unknown }[] };
  /** Opens a file in an editor tab, as a user double-clicking it. */
  open(fsPath: string): Promise<TextDocument>;
  /** Resolves with the first diagnostics report for `fsPath` that `accept` takes. */
  diagnostics(fsPath: string, accept: (report: DiagnosticsReport) => boolean): Promise<DiagnosticsReport>;
  /** Resolves when the status item's text satisfies `accept`. */
  status(accept: (text: string) => boolean): Promise<string>;
  /** Runs a command as the command palette does. */
  execute(command: string, ...args: unknown[]): Promise<unknown>;
  /** Types: replaces a document's text (the version goes up, listeners hear of it). */
  edit(document: TextDocument, text: string): void;
  /** Clicks `line` of an editor (or moves its cursor there with the keyboard). */
  select(editor: TextEditor, line: number, kind?: TextEditorSelectionChangeKind): void;
  /** Closes every tab showing `uri`. */
  closeTabs(uri: Uri): void;
  /** Resolves with the open document whose URI has `scheme` once its text satisfies `accept`. */
  document(scheme: string, accept: (text: string) => boolean): Promise<TextDocument>;
  /** Disposes what activate() registered, as VS Code does on shutdown. */
  shutdown(): Promise<void>;
}

/**
 * `extensionMain` is the bundle; its package.json is the folder above `out/`. Loading the
 * module again gives a fresh copy (the require cache entry is dropped) so tests do not share
 * module state.
 */
export function loadExtension(extensionMain: string, workspaceFolder: string): LoadedExtension {
  const root = path.resolve(path.dirname(extensionMain), "..");
  const { vscode, recorder } = createVscode(path.join(root, "package.json"), workspaceFolder);
  const moduleInternals = Module as unknown as { _load: Load };
  const originalLoad = moduleInternals._load;
  moduleInternals._load = function (request, parent, isMain) {
    return request === "vscode" ? vscode : originalLoad.call(this, request, parent, isMain);
  };
  let extension: ExtensionModule;
  try {
    const resolved = require.resolve(path.resolve(extensionMain));
    delete require.cache[resolved];
    extension = require(resolved) as ExtensionModule;
  } finally {
    moduleInternals._load = originalLoad;
  }
  const context = {
    subscriptions: [] as { dispose(): unknown }[],
    extensionPath: root,
    extensionUri: Uri.file(root),
    asAbsolutePath: (relative: string) => path.join(root, relative),
    extensionMode: 3,
  };
  const workspace = vscode.workspace as { openTextDocument(target: string): Promise<TextDocument>; textDocuments: TextDocument[] };
  const commands = vscode.commands as { executeCommand(id: string, ...args: unknown[]): Promise<unknown> };
  const window = vscode.window as { showTextDocument(document: TextDocument): Promise<unknown> };
  const statusText = () => recorder.statusItems[0]?.text ?? "";
  return {
    extension,
    recorder,
    vscode,
    context,
    async open(fsPath) {
      const document = await workspace.openTextDocument(fsPath);
      await window.showTextDocument(document);
      return document;
    },
    diagnostics(fsPath, accept) {
      const uri = Uri.file(fsPath).toString();
      return new Promise((resolve) => {
        const listener = (report: DiagnosticsReport) => {
          if (report.uri === uri && accept(report)) {
            recorder.off("diagnostics", listener);
            resolve(report);
          }
        };
        recorder.on("diagnostics", listener);
      });
    },
    status(accept) {
      return new Promise((resolve) => {
        const listener = (text: string) => {
          if (accept(text)) {
            recorder.off("status", listener);
            resolve(text);
          }
        };
        recorder.on("status", listener);
        listener(statusText());
      });
    },
    execute(command, ...args) {
      return commands.executeCommand(command, ...args);
    },
    edit(document, text) {
      recorder.emit("edit", document, text);
    },
    select(editor, line, kind = TextEditorSelectionChangeKind.Mouse) {
      recorder.emit("select", editor, line, kind);
    },
    closeTabs(uri) {
      recorder.emit("closeTabs", uri);
    },
    document(scheme, accept) {
      const found = () => workspace.textDocuments.find((document) => document.uri.scheme === scheme && accept(document.getText()));
      return new Promise((resolve) => {
        const listener = () => {
          const document = found();
          if (document !== undefined) {
            recorder.off("documentChanged", listener);
            recorder.off("shown", listener);
            resolve(document);
          }
        };
        recorder.on("documentChanged", listener);
        recorder.on("shown", listener);
        listener();
      });
    },
    async shutdown() {
      await extension.deactivate();
      for (const disposable of context.subscriptions.splice(0)) {
        disposable.dispose();
      }
    },
  };
}
