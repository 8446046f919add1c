// The adapter kit: what every node of this package needs from Node-RED, in one place.
export * from './hubject';
export * from './i18n';
export * from './limits';
export * from './status';
export * from './settings';
export * from './lane-binding';
