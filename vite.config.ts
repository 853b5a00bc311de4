import { fileURLToPath } from 'node:url';
import { build, defineConfig, type Plugin } from 'vite';
import { finishCdnBuild } from './src/server/http/cdn-files.ts';

/** Collapses the whitespace of a CSS text (no comments are left in the shipped css blocks). */
export const minifyCssText = (text: string): string =>
  text
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/\s+/g, ' ')
    .replace(/\s*([{};,>])\s*/g, '$1')
    .replace(/:\s+/g, ':')
    .replace(/;}/g, '}')
    .trim();

/**
 * Lit's `css` blocks ship as written, indentation and all; the minifier leaves template literals
 * alone. This squeezes the element's static ones (those without `${}`), a few hundred bytes gzipped.
 */
function minifyLitCss(): Plugin {
  return {
    name: 'onpay-minify-lit-css',
    enforce: 'pre',
    transform(code, id) {
      if (!id.includes('/src/components/') || !id.endsWith('.ts') || !code.includes('css`')) return null;
      return { code: code.replace(/\bcss`([^`$]*)`/g, (_m, text: string) => `css\`${minifyCssText(text)}\``), map: null };
    },
  };
}

/**
 * Lit's `html` templates ship their line breaks and indentation too. A line break with the
 * indentation after it is whitespace the browser collapses to one space anyway (the element has
 * no `white-space: pre`), so it becomes one space: the same DOM text, fewer bytes.
 */
function squeezeLitHtml(): Plugin {
  return {
    name: 'onpay-squeeze-lit-html',
    enforce: 'pre',
    transform(code, id) {
      if (!id.includes('/src/components/') || !id.endsWith('.ts') || !code.includes('html`')) return null;
      return { code: squeezeHtmlTemplates(code), map: null };
    },
  };
}

/**
 * The text parts of every `html` template, nested ones too (a template inside another's `${}`), with
 * each line break and the indentation after it turned into one space; the expressions are left as
 * written. A small scanner, not a regular expression, because templates nest.
 */
export function squeezeHtmlTemplates(code: string): string {
  let out = '';
  let i = 0;
  // Copies a template's text from just after its opening backtick through its closing one.
  const template = (squeeze: boolean): void => {
    while (i < code.length) {
      const c = code[i]!;
      if (c === '\\') {
        out += code.slice(i, i + 2);
        i += 2;
      } else if (c === '`') {
        out += c;
        i++;
        return;
      } else if (c === '$' && code[i + 1] === '{') {
        out += '${';
        i += 2;
        expression();
      } else if (squeeze && c === '\n') {
        while (i < code.length && /\s/.test(code[i]!)) i++;
        out += ' ';
      } else {
        out += c;
        i++;
      }
    }
  };
  // Copies an expression inside `${…}` through its closing brace, templates in it handled in turn.
  const expression = (): void => {
    let depth = 1;
    while (i < code.length) {
      const c = code[i]!;
      if (c === '`') {
        const squeeze = /\bhtml$/.test(out);
        out += c;
        i++;
        template(squeeze);
      } else if (c === "'" || c === '"') {
        const end = code.indexOf(c, i + 1);
        out += code.slice(i, end + 1);
        i = end + 1;
      } else {
        if (c === '{') depth++;
        if (c === '}' && --depth === 0) {
          out += c;
          i++;
          return;
        }
        out += c;
        i++;
      }
    }
  };
  while (i < code.length) {
    const start = code.indexOf('html`', i);
    if (start < 0 || (start > 0 && /[\w$.]/.test(code[start - 1]!))) {
      if (start < 0) {
        out += code.slice(i);
        break;
      }
      out += code.slice(i, start + 5);
      i = start + 5;
      continue;
    }
    out += code.slice(i, start + 5);
    i = start + 5;
    template(true);
  }
  return out;
}

/**
 * The classic script cannot split into chunks: there the language loader is the one that imports
 * the module build's chunks (`onpay-checkout.uk.js`) from beside the script.
 */
function cdnLanguageLoader(): Plugin {
  const cdnLoader = fileURLToPath(new URL('./src/components/onpay-checkout/messages/load-cdn.ts', import.meta.url));
  return {
    name: 'onpay-cdn-language-loader',
    enforce: 'pre',
    resolveId(source, importer) {
      return /(^|\/)messages\/load\.ts$/.test(source) && importer?.includes('/src/components/onpay-checkout/') ? cdnLoader : null;
    },
  };
}

/**
 * After the module build, the classic one (a second build: an IIFE has no chunks); then the hashed
 * copies of the entries, every script's brotli and gzip bytes and the manifest (src/server/http/cdn-files.ts).
 */
function thenClassic(): Plugin {
  return {
    name: 'onpay-then-classic',
    apply: 'build',
    async closeBundle() {
      await build({ configFile: fileURLToPath(import.meta.url), mode: 'classic', logLevel: 'warn' });
      finishCdnBuild(fileURLToPath(new URL('./dist/cdn', import.meta.url)));
    },
  };
}

// The element's CDN build: one ES module (the languages but Russian in chunks beside it, loaded when
// asked for) and one classic script, Lit bundled, minified.
export default defineConfig(({ mode }) => {
  const classic = mode === 'classic';
  return {
    plugins: classic ? [minifyLitCss(), squeezeLitHtml(), cdnLanguageLoader()] : [minifyLitCss(), squeezeLitHtml(), thenClassic()],
    build: {
      outDir: 'dist/cdn',
      emptyOutDir: !classic,
      target: 'es2021',
      minify: true,
      sourcemap: false,
      lib: {
        entry: 'src/components/onpay-checkout/index.ts',
        name: 'OnpayCheckout',
        formats: classic ? ['iife'] : ['es'],
        fileName: () => (classic ? 'onpay-checkout.iife.js' : 'onpay-checkout.js'),
      },
      // Library mode leaves ES output unminified for bundlers; this one is served as is from the CDN.
      rolldownOptions: { output: { minify: true, chunkFileNames: 'onpay-checkout.[name].js' }, checks: { emptyImportMeta: false } },
    },
    esbuild: { legalComments: 'none' },
  };
});
