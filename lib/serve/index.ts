/** The teaching page's server (`fer serve`): web/ plus the models, test faces and paper numbers. */
export * from './server';
export * from './faces';
export * from './models';
export { bundleClient, WEB_ROOT } from './bundle';
