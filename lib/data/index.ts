/** FER2013 data layer: reading, caching, splitting, auditing and turning rows into tensors. */
export * from './classes';
export * from './dataset';
export * from './csv';
export * from './cache';
export * from './split';
export * from './audit';
export * from './noise';
export * from './tensor';
