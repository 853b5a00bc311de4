import { defineConfig, type Plugin } from 'vite';

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

// The element's CDN build: one ES module and one classic script, Lit bundled, minified.
export default defineConfig({
  plugins: [minifyLitCss()],
  build: {
    outDir: 'dist/cdn',
    emptyOutDir: true,
    target: 'es2021',
    minify: true,
    sourcemap: false,
    lib: {
      entry: 'src/components/onpay-checkout/index.ts',
      name: 'OnpayCheckout',
      formats: ['es', 'iife'],
      fileName: (format) => (format === 'es' ? 'onpay-checkout.js' : 'onpay-checkout.iife.js'),
    },
    // Library mode leaves ES output unminified for bundlers; this one is served as is from the CDN.
    rolldownOptions: { output: { minify: true }, checks: { emptyImportMeta: false } },
  },
  esbuild: { legalComments: 'none' },
});
