export * from "./issues.js";
export * from "./normalize.js";
export { mapUser, readField, type MappedRecord, type MapOptions } from "./map-user.js";
export { mapOrg, type MappedOrg, type OrgMapping } from "./map-org.js";
export { checkColumns } from "./check-columns.js";
