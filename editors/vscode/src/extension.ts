// Entry point: wires the client, the commands and configuration changes together.
import * as vscode from "vscode";
import { LanguageClient } from "vscode-languageclient/node";

import { createClient } from "./client";
import { COMMAND_REFRESH_DATABASE, COMMAND_RESTART_SERVER, CONFIGURATION_SECTION } from "./constants";

let client: LanguageClient | undefined;

async function start(context: vscode.ExtensionContext): Promise<void> {
  client = createClient(context);
  await client.start();
}

async function restart(context: vscode.ExtensionContext): Promise<void> {
  await client?.stop();
  await start(context);
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  context.subscriptions.push(
    vscode.commands.registerCommand(COMMAND_RESTART_SERVER, () => restart(context)),
    vscode.commands.registerCommand(COMMAND_REFRESH_DATABASE, () =>
      client?.sendRequest("workspace/executeCommand", { command: COMMAND_REFRESH_DATABASE, arguments: [] }),
    ),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration(`${CONFIGURATION_SECTION}.server`)) {
        void restart(context);
      }
    }),
  );
  await start(context);
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}
