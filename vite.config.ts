import { defineConfig } from 'vite';

// The element's CDN build: one ES module and one classic script, Lit bundled, minified.
export default defineConfig({
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
