'use strict';

/**
 * A Babel plugin for the layers check only (.babelrc.dependency-cruiser.json): TypeScript's preset drops
 * `import type` and `export type … from` before dependency-cruiser reads the code, and a layer or a cycle held
 * together by types alone would go unseen. Each becomes a bare import of its module, which the preset keeps.
 */
module.exports = function keepTypeImports({ types: t }) {
  const bare = (source) => t.importDeclaration([], t.stringLiteral(source.value));
  return {
    name: 'keep-type-imports',
    visitor: {
      // Program's enter runs before the preset strips types, whatever the order of the nodes' own visitors.
      Program: {
        enter(program) {
          for (const statement of program.get('body')) {
            const node = statement.node;
            if (statement.isImportDeclaration()) {
              const typeOnly =
                node.importKind === 'type' ||
                (node.specifiers.length > 0 && node.specifiers.every((specifier) => specifier.importKind === 'type'));
              if (typeOnly) statement.replaceWith(bare(node.source));
            } else if (statement.isExportNamedDeclaration() && node.source) {
              const typeOnly =
                node.exportKind === 'type' ||
                (node.specifiers.length > 0 && node.specifiers.every((specifier) => specifier.exportKind === 'type'));
              if (typeOnly) statement.replaceWith(bare(node.source));
            }
          }
        },
      },
    },
  };
};
