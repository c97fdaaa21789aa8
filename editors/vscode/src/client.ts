// Builds the language client: how to start the server and what to send it.
import * as vscode from "vscode";
import { LanguageClient, LanguageClientOptions, ServerOptions } from "vscode-languageclient/node";

import { CLIENT_ID, CLIENT_NAME, CONFIGURATION_SECTION, LANGUAGE_ID } from "./constants";
import { serverCommand, serverSettings } from "./settings";

/** Reads the `promptTool` section as it is now (settings.ts maps what it reads). */
export function readConfiguration(): (key: string) => unknown {
  const configuration = vscode.workspace.getConfiguration(CONFIGURATION_SECTION);
  return (key) => configuration.get(key);
}

/**
 * A new client on the current settings. The output channel and the file watcher outlive
 * clients (a restart builds a new client), so the caller owns them.
 */
export function createClient(
  outputChannel: vscode.LogOutputChannel,
  watcher: vscode.FileSystemWatcher,
): LanguageClient {
  const read = readConfiguration();
  const { command, args } = serverCommand(read);
  const serverOptions: ServerOptions = { command, args };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ scheme: "file", language: LANGUAGE_ID }],
    initializationOptions: { [CONFIGURATION_SECTION]: serverSettings(read) },
    // Pushes `promptTool` with workspace/didChangeConfiguration, so edits apply at once.
    synchronize: { configurationSection: CONFIGURATION_SECTION, fileEvents: watcher },
    outputChannel,
  };
  return new LanguageClient(CLIENT_ID, CLIENT_NAME, serverOptions, clientOptions);
}
