export * from './errors';
export * from './canonical';
export * from './hmacKey';
export * from './signing';
export * from './schemas';
export * from './keyring';
export * from './wire';
