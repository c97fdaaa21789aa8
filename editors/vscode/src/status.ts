// The status bar item: the server's state at a glance, a click shows its output.
import * as vscode from "vscode";

import { COMMAND_SHOW_OUTPUT } from "./constants";
import type { ServerState } from "./controller";

const PRESENTATION: Record<ServerState, { icon: string; tooltip: string; error: boolean }> = {
  starting: { icon: "$(sync~spin)", tooltip: "prompt-tool: the language server is starting", error: false },
  running: { icon: "$(check)", tooltip: "prompt-tool: the language server is running", error: false },
  stopped: { icon: "$(circle-slash)", tooltip: "prompt-tool: the language server is stopped", error: false },
  failed: { icon: "$(error)", tooltip: "prompt-tool: the language server failed to start", error: true },
};

export function createStatusItem(): vscode.StatusBarItem {
  const item = vscode.window.createStatusBarItem("promptTool.status", vscode.StatusBarAlignment.Right, 100);
  item.name = "prompt-tool language server";
  item.command = COMMAND_SHOW_OUTPUT;
  showState(item, "stopped");
  item.show();
  return item;
}

export function showState(item: vscode.StatusBarItem, state: ServerState): void {
  const { icon, tooltip, error } = PRESENTATION[state];
  item.text = `${icon} prompt-tool`;
  item.tooltip = `${tooltip} — click for Show output`;
  item.backgroundColor = error ? new vscode.ThemeColor("statusBarItem.errorBackground") : undefined;
}
