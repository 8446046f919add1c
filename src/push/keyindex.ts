// The push queue's duplicate check uses the one hash index of the cores.
export { KeyIndex } from '../oicp/hash-index';
