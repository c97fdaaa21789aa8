// The status bar items: the server's state at a glance (a click shows its output), and the
// size of the active preview (a click picks another context).
import * as vscode from "vscode";

import { COMMAND_PREVIEW_SELECT_CONTEXT, COMMAND_SHOW_OUTPUT } from "./constants";
import type { ServerState } from "./controller";
import { PreviewAnswer, summary } from "./previewModel";

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

export function createPreviewStatusItem(): vscode.StatusBarItem {
  const item = vscode.window.createStatusBarItem("promptTool.preview", vscode.StatusBarAlignment.Right, 99);
  item.name = "prompt-tool preview";
  item.command = COMMAND_PREVIEW_SELECT_CONTEXT;
  return item;
}

/** What the item shows: the preview's last answer, and whether a render is on its way. */
export interface PreviewState {
  readonly answer: PreviewAnswer | undefined;
  readonly rendering: boolean;
  readonly title: string;
}

/** Hidden without a preview; a spinner while a render is in flight. */
export function showPreviewState(item: vscode.StatusBarItem, state: PreviewState | undefined): void {
  if (state === undefined) {
    item.hide();
    return;
  }
  const icon = state.rendering ? "$(sync~spin)" : "$(open-preview)";
  item.text = `${icon} ${state.answer === undefined ? "rendering…" : summary(state.answer)}`;
  const counter = state.answer?.tokenCounter ? `; tokens estimated by ${state.answer.tokenCounter}` : "";
  item.tooltip = `prompt-tool preview of ${state.title}${counter} — click to pick another context`;
  item.show();
}
