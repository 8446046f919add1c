// Public API of the OCPP -> OICP status core (no Node-RED dependency).
//
//   parseOcppMessage(msg)          -> ParsedInput: what a Node-RED message carries (status facts, connection event, other, invalid)
//   new StatusMapper(options)      -> throws on bad options; .process(msg) / .handle(parsed) -> MapResult
//   DEFAULT_MAPPING                -> Hubject's OCPP -> OICP table
//   compileEvseIdTemplate, checkEvseIdTemplate -> EvseID template helpers

export { parseOcppMessage } from './parse';
export { StatusMapper, DEFAULT_MAPPING, DEFAULT_MAX_CONNECTORS } from './mapper';
export { compileEvseIdTemplate, checkEvseIdTemplate, TEMPLATE_PLACEHOLDERS } from './template';
export type { CompiledTemplate } from './template';
export type { StatusFact, ParsedInput, Cause, OcppStatusInfo, OutputRecord, MapResult, LookupEntry, MapperOptions } from './types';
