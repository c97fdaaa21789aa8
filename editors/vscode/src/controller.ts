// Owns the language client's life: start, restart (also after a failed start), stop.
import * as vscode from "vscode";
import { LanguageClient, State } from "vscode-languageclient/node";

import { createClient } from "./client";
import { CONTEXT_SERVER_RUNNING, INSTALL_HINT } from "./constants";

export type ServerState = "starting" | "running" | "stopped" | "failed";

function publicState(state: State): ServerState {
  switch (state) {
    case State.Starting:
      return "starting";
    case State.Running:
      return "running";
    case State.StartFailed:
      return "failed";
    default:
      return "stopped";
  }
}

/**
 * vscode-languageclient cannot restart a client whose start failed (`stop()` throws
 * "Client is not running", `start()` returns the old rejected promise), so every (re)start
 * disposes the previous client and builds a new one.
 */
export class ServerController implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private stateListener: vscode.Disposable | undefined;
  private readonly stateEmitter = new vscode.EventEmitter<ServerState>();
  /** Fires on every state change, `failed` included. */
  readonly onDidChangeState = this.stateEmitter.event;
  state: ServerState = "stopped";
  private restarting: Promise<void> = Promise.resolve();

  constructor(
    private readonly outputChannel: vscode.LogOutputChannel,
    private readonly watcher: vscode.FileSystemWatcher,
  ) {}

  /** Starts a fresh client; a failure is shown in the status item and the output, not thrown. */
  async start(): Promise<void> {
    const client = createClient(this.outputChannel, this.watcher);
    this.client = client;
    this.stateListener = client.onDidChangeState((event) => this.setState(publicState(event.newState)));
    this.setState("starting");
    try {
      await client.start();
      this.setState("running");
    } catch (error) {
      this.setState("failed");
      this.outputChannel.appendLine(`prompt-tool: the language server did not start: ${String(error)}`);
      this.outputChannel.appendLine(INSTALL_HINT);
    }
  }

  /** Restarts run one after another: a settings change and the command at once build one client each, in turn. */
  restart(): Promise<void> {
    this.restarting = this.restarting.then(async () => {
      await this.stop();
      await this.start();
    });
    return this.restarting;
  }

  /** Disposes the current client whatever its state; one that never ran has nothing to stop. */
  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.stateListener?.dispose();
    this.stateListener = undefined;
    if (client !== undefined) {
      try {
        await client.dispose();
      } catch (error) {
        this.outputChannel.appendLine(`prompt-tool: stopping the previous client: ${String(error)}`);
      }
    }
    this.setState("stopped");
  }

  /** Sends a request to the running server (the current client: restarts replace it). */
  async request<R>(method: string, params: object): Promise<R> {
    const client = this.client;
    if (client === undefined || this.state !== "running") {
      throw new Error("the language server is not running");
    }
    return client.sendRequest<R>(method, params);
  }

  dispose(): void {
    void this.stop();
    this.stateEmitter.dispose();
  }

  private setState(state: ServerState): void {
    if (state === this.state) {
      return;
    }
    this.state = state;
    void vscode.commands.executeCommand("setContext", CONTEXT_SERVER_RUNNING, state === "running");
    this.stateEmitter.fire(state);
  }
}
