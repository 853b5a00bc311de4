/** The bundlers example of docs/ELEMENT.md built by webpack from the packed package: see bundled-shop.ts. */
import { bundledShopTests } from './bundled-shop.ts';

bundledShopTests('webpack');
