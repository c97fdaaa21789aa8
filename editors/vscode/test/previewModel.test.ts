// Unit tests of the preview's pure decisions, run with node's built-in test runner.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  AnswerGate,
  PreviewAnswer,
  PreviewTarget,
  contextItems,
  decodeTarget,
  encodeTarget,
  errorsByDocument,
  hasRendered,
  isStale,
  previewParams,
  previewPath,
  sourceAt,
  summary,
} from "../src/previewModel";

const TARGET: PreviewTarget = { source: "file:///work/prompts/analysis.j2", context: "generated:0", phase: null, label: "generated sample" };

function answer(change: Partial<PreviewAnswer>): PreviewAnswer {
  return {
    uri: TARGET.source,
    version: 1,
    phase: "analysis",
    context: "generated:0",
    text: "",
    characters: 0,
    tokens: 0,
    tokenCounter: "heuristic",
    sourceMap: [],
    error: null,
    ...change,
  };
}

test("an answer that rendered an older version than the editor holds is stale", () => {
  assert.equal(isStale(3, 4), true);
  assert.equal(isStale(4, 4), false);
  assert.equal(isStale(5, 4), false);
  assert.equal(isStale(null, 4), false);
  assert.equal(isStale(3, undefined), false);
});

test("the gate shows an answer only if it is current and no later answer is shown", () => {
  const gate = new AnswerGate();
  const first = gate.next();
  const second = gate.next();
  assert.equal(gate.inFlight, true);
  // The first request rendered version 2, but the editor is at 3 by the time it answers.
  assert.equal(gate.accept(first, 2, 3), false);
  assert.equal(gate.accept(second, 3, 3), true);
  assert.equal(gate.inFlight, false);
  // Answers that overtook each other: the older one, even if current, comes too late.
  const third = gate.next();
  const fourth = gate.next();
  assert.equal(gate.accept(fourth, 3, 3), true);
  assert.equal(gate.accept(third, 3, 3), false);
});

test("an answer without a version counts only for the newest request", () => {
  const gate = new AnswerGate();
  const first = gate.next();
  const second = gate.next();
  assert.equal(gate.accept(first, null, 1), false);
  assert.equal(gate.accept(second, null, 1), true);
});

test("a failed newest request leaves nothing in flight; an older one does not retire the newest", () => {
  const gate = new AnswerGate();
  const first = gate.next();
  const second = gate.next();
  gate.settle(first);
  assert.equal(gate.inFlight, true);
  gate.settle(second);
  assert.equal(gate.inFlight, false);
});

test("a preview URI's query holds its target, whatever characters the target has", () => {
  const target: PreviewTarget = {
    source: "file:///work/a%20b/%C3%A9t%C3%A9.j2?x=1&y=2#z",
    context: "sample:/work/a b/samples/x&y=z.analysis.json",
    phase: "implementation",
    label: "x&y=z.analysis",
  };
  const query = encodeTarget(target);
  assert.match(query, /^[A-Za-z0-9_-]+$/);
  assert.deepEqual(decodeTarget(query), target);
  assert.deepEqual(decodeTarget(encodeTarget(TARGET)), TARGET);
});

test("a query that is not a preview target decodes to nothing", () => {
  assert.equal(decodeTarget(""), undefined);
  assert.equal(decodeTarget("not base64 json"), undefined);
  assert.equal(decodeTarget(Buffer.from('{"source": 1}').toString("base64url")), undefined);
  assert.equal(decodeTarget(Buffer.from('{"source":"a","context":"b","label":"c","phase":3}').toString("base64url")), undefined);
});

test("the preview's path names the template and the context, and is no template file", () => {
  assert.equal(previewPath("/work/prompts/analysis.j2", TARGET), "/work/prompts/Preview analysis.j2 (generated sample)");
  assert.equal(
    previewPath("/work/prompts/partials/facts.j2", { ...TARGET, phase: "analysis", label: "a/b" }),
    "/work/prompts/partials/Preview facts.j2 (a-b as analysis)",
  );
});

test("the request carries a phase only when the user chose one", () => {
  assert.deepEqual(previewParams(TARGET), { textDocument: { uri: TARGET.source }, context: "generated:0" });
  assert.deepEqual(previewParams({ ...TARGET, phase: "analysis" }), {
    textDocument: { uri: TARGET.source },
    context: "generated:0",
    phase: "analysis",
  });
});

test("a preview line's source is its source-map entry; null and missing entries have none", () => {
  const line = { uri: "file:///work/prompts/partials/facts.j2", template: "partials/facts.j2", version: null, line: 4 };
  const shown = answer({ sourceMap: [line, null, { ...line, uri: null }] });
  assert.deepEqual(sourceAt(shown, 0), line);
  assert.equal(sourceAt(shown, 1), undefined);
  assert.equal(sourceAt(shown, 2), undefined);
  assert.equal(sourceAt(shown, 3), undefined);
  assert.equal(sourceAt(undefined, 0), undefined);
});

test("render errors are grouped by the document they point into", () => {
  const error = {
    uri: "file:///work/prompts/partials/facts.j2",
    range: { start: { line: 1, character: 0 }, end: { line: 2, character: 0 } },
    severity: 1,
    source: "prompt-tool preview",
    message: "division by zero",
  };
  const grouped = errorsByDocument([answer({ error }), answer({}), answer({ error: { ...error, uri: null } }), answer({ error })]);
  assert.deepEqual([...grouped.keys()], [error.uri, TARGET.source]);
  assert.equal(grouped.get(error.uri)?.length, 2);
});

test("contexts are listed in the server's order under one separator per kind", () => {
  const context = (id: string, kind: string) => ({ id, label: id, kind, phase: "analysis", detail: "" });
  const items = contextItems([context("a", "sample"), context("b", "sample"), context("generated:0", "generated"), context("session:1", "session")]);
  assert.deepEqual(
    items.map((item) => ("separator" in item ? `--${item.separator}` : item.context.id)),
    ["--samples", "a", "b", "--generated from the contract", "generated:0", "--recent sessions", "session:1"],
  );
});

test("the summary gives the size and the estimated tokens", () => {
  assert.equal(summary(answer({ characters: 3906, tokens: 1004 })), "3,906 chars · ~1,004 tokens");
});

test("an answer without a phase rendered nothing (its empty text is not the prompt)", () => {
  assert.equal(hasRendered(answer({})), true);
  assert.equal(hasRendered(answer({ version: null })), true);
  assert.equal(hasRendered(answer({ version: null, phase: null })), false);
});
