// Config for `npm run manifest` (@custom-elements-manifest/analyzer picks this file up by name).
// The analyzer's Lit support reads `attribute: false` in `static properties` but not `state: true`,
// so it listed the element's internal state (view, selected, …) as public properties and attributes.
// This plugin teaches it Lit's rule: a `state: true` property is internal and has no attribute.

/** Lit's reactive internal state, found in `static properties = { x: { state: true } }`. */
function litStatePlugin() {
  const stateByClass = new Map();
  return {
    name: 'onpay-lit-state',
    analyzePhase({ ts, node }) {
      if (node.kind !== ts.SyntaxKind.ClassDeclaration || !node.name) return;
      for (const member of node.members) {
        const isStatic = member.modifiers?.some((m) => m.kind === ts.SyntaxKind.StaticKeyword);
        if (!isStatic || member.name?.getText() !== 'properties' || !member.initializer) continue;
        const object = member.initializer;
        if (object.kind !== ts.SyntaxKind.ObjectLiteralExpression) continue;
        const names = object.properties
          .filter((p) => p.kind === ts.SyntaxKind.PropertyAssignment && p.initializer.kind === ts.SyntaxKind.ObjectLiteralExpression)
          .filter((p) => p.initializer.properties.some((o) => o.name?.getText() === 'state' && o.initializer.kind === ts.SyntaxKind.TrueKeyword))
          .map((p) => p.name.getText());
        stateByClass.set(node.name.getText(), new Set(names));
      }
    },
    packageLinkPhase({ customElementsManifest }) {
      for (const mod of customElementsManifest.modules) {
        for (const decl of mod.declarations ?? []) {
          const state = stateByClass.get(decl.name);
          if (!state) continue;
          decl.attributes = decl.attributes?.filter((a) => !state.has(a.fieldName ?? a.name));
          decl.members = decl.members?.filter((m) => !state.has(m.name));
        }
      }
    },
  };
}

export default {
  globs: ['src/components/**/*.ts'],
  exclude: ['**/*.test.ts'],
  litelement: true,
  plugins: [litStatePlugin()],
};
