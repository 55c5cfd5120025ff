// The experiments compare against the uuid package (installed here as Emmett's dependency, without types).
declare module 'uuid';
