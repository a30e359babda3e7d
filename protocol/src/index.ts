/**
 * @cce4long/protocol: wire formats, schemas, error codes and chain bindings shared by every part.
 * Runs anywhere (workerd, Node, browsers). Holds no secrets and imports no key-material code.
 */

export * from "./api/index";
export * from "./chain/index";
export * from "./datasets/index";
export * from "./errors/index";
export * from "./explore/index";
export * from "./jobs/index";
