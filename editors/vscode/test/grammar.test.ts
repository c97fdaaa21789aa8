// The TextMate grammar, run by vscode-textmate (VS Code's own tokenizer) on Oniguruma.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { test } from "node:test";

import * as oniguruma from "vscode-oniguruma";
import { INITIAL, IGrammar, Registry, parseRawGrammar } from "vscode-textmate";

const ROOT = path.resolve(__dirname, "../..");
const SCOPE = "text.jinja-prompt";

async function loadGrammar(): Promise<IGrammar> {
  const wasm = readFileSync(require.resolve("vscode-oniguruma/release/onig.wasm"));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns: string[]) => new oniguruma.OnigScanner(patterns),
      createOnigString: (text: string) => new oniguruma.OnigString(text),
    }),
    loadGrammar: async (scopeName: string) => {
      if (scopeName !== SCOPE) {
        return null;
      }
      const file = path.join(ROOT, "syntaxes", "jinja-prompt.tmLanguage.json");
      return parseRawGrammar(readFileSync(file, "utf-8"), file);
    },
  });
  const grammar = await registry.loadGrammar(SCOPE);
  assert.ok(grammar);
  return grammar;
}

/** Each token's text with its innermost scope, line by line. */
function tokenize(grammar: IGrammar, text: string): [string, string][] {
  let state = INITIAL;
  const tokens: [string, string][] = [];
  for (const line of text.split("\n")) {
    const result = grammar.tokenizeLine(line, state);
    for (const token of result.tokens) {
      tokens.push([line.slice(token.startIndex, token.endIndex), token.scopes[token.scopes.length - 1]]);
    }
    state = result.ruleStack;
  }
  return tokens;
}

const CASES: [string, string, [string, string][]][] = [
  ["prose stays prose", "Review the diff.", [["Review the diff.", SCOPE]]],
  ["a comment, with a header directive", "{#- prompt-tool: phase=analysis -#}", [["{#-", "punctuation.definition.comment.jinja"], ["phase=analysis", "storage.modifier.prompt-tool.jinja"], ["-#}", "punctuation.definition.comment.jinja"]]],
  ["an expression with an attribute and a filter", "{{ feature.name | upper }}", [["feature", "variable.other.jinja"], ["name", "variable.other.property.jinja"], ["|", "keyword.operator.filter.jinja"], ["upper", "support.function.filter.jinja"], ["}}", "punctuation.definition.tag.end.jinja"]]],
  ["a statement with a string and a test", "{% include \"partials/a.j2\" if x is defined %}", [["include", "keyword.control.jinja"], ["\"", "string.quoted.double.jinja"], ["defined", "support.function.test.jinja"]]],
  ["a raw block is not Jinja", "{% raw %}{{ not_a_name }}{% endraw %}", [["{{ not_a_name }}", "string.unquoted.raw.jinja"], ["endraw", "keyword.control.jinja"]]],
  ["a multi-line comment", "{# one\ntwo #}after", [["two ", "comment.block.jinja"], ["after", SCOPE]]],
];

for (const [name, text, expected] of CASES) {
  test(`grammar: ${name}`, async () => {
    const tokens = tokenize(await loadGrammar(), text);
    for (const pair of expected) {
      assert.ok(
        tokens.some(([value, scope]) => value === pair[0] && scope === pair[1]),
        `${JSON.stringify(pair)} not in ${JSON.stringify(tokens)}`,
      );
    }
  });
}
