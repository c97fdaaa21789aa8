// Loads a built extension (out/extension.js, or the one inside a .vsix) against the stub
// `vscode` module, the way VS Code's extension host would: require, then activate.
import Module from "node:module";
import * as path from "node:path";

import { Recorder, createVscode, DiagnosticsReport, TextDocument, Uri } from "./vscode-stub";

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
  const workspace = vscode.workspace as { openTextDocument(target: string): Promise<TextDocument> };
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
    async shutdown() {
      await extension.deactivate();
      for (const disposable of context.subscriptions.splice(0)) {
        disposable.dispose();
      }
    },
  };
}
