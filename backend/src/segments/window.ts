// The window parser lives in the contract, where the Segment API's validation uses it too.
export { parseWindow } from '@pulse/contract/schema';
