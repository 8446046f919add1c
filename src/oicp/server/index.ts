// The server side of OICP: a mutual-TLS listener, routes, body limit and error answers. No Node-RED import.
export { HttpError, errorAnswer, CLIENT_CLOSED, type ErrorAnswer } from './errors';
export { sendJson } from './json';
export { readBody, readJson } from './body';
export { clientIdentity, type ClientIdentity } from './peer';
export { Router, pathnameOf, type Handler, type PathMatcher } from './routes';
export { MtlsServer, answerError, type MtlsServerOptions, type RequestContext, type ServerTls, type Pem } from './listener';
