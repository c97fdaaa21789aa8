// Entry point: wires the controller, the status item, the preview, the commands and configuration changes.
import * as vscode from "vscode";

import { readConfiguration } from "./client";
import {
  CLIENT_NAME,
  COMMAND_PREVIEW,
  COMMAND_PREVIEW_GO_TO_SOURCE,
  COMMAND_PREVIEW_SELECT_CONTEXT,
  COMMAND_RESTART_SERVER,
  COMMAND_SHOW_OUTPUT,
  CONFIGURATION_SECTION,
  WATCHED_FILES,
} from "./constants";
import { ServerController } from "./controller";
import { PreviewManager } from "./preview";
import { previewDebounceMs } from "./settings";
import { createStatusItem, showState } from "./status";

let controller: ServerController | undefined;

/**
 * Registers only the extension's own commands: `promptTool.refreshDatabase` belongs to the
 * server, whose `executeCommandProvider` makes the client register it (VS Code refuses an id
 * registered twice, and the client would then fail to start).
 */
export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const outputChannel = vscode.window.createOutputChannel(CLIENT_NAME, { log: true });
  const watcher = vscode.workspace.createFileSystemWatcher(WATCHED_FILES);
  const status = createStatusItem();
  const server = new ServerController(outputChannel, watcher);
  controller = server;
  const previews = new PreviewManager(
    (method, params) => server.request(method, params),
    outputChannel,
    () => previewDebounceMs(readConfiguration()),
  );
  context.subscriptions.push(
    outputChannel,
    watcher,
    status,
    server,
    previews,
    server.onDidChangeState((state) => showState(status, state)),
    server.onDidChangeState((state) => state === "running" && previews.refreshAll()),
    vscode.commands.registerCommand(COMMAND_RESTART_SERVER, () => server.restart()),
    vscode.commands.registerCommand(COMMAND_SHOW_OUTPUT, () => outputChannel.show(true)),
    vscode.commands.registerCommand(COMMAND_PREVIEW, (resource?: unknown) => previews.open(resource)),
    vscode.commands.registerCommand(COMMAND_PREVIEW_SELECT_CONTEXT, () => previews.selectContext()),
    vscode.commands.registerCommand(COMMAND_PREVIEW_GO_TO_SOURCE, () => previews.goToSource()),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration(`${CONFIGURATION_SECTION}.server`)) {
        void server.restart();
      }
    }),
  );
  await server.start();
}

export async function deactivate(): Promise<void> {
  await controller?.stop();
  controller = undefined;
}
