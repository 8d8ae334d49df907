/** The teaching page's server (`fer serve`): web/, models, test faces, paper and our curves. */
export * from './server';
export * from './faces';
export * from './models';
export * from './measured';
export { bundleClient, WEB_ROOT } from './bundle';
