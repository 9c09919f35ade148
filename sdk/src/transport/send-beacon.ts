/** navigator.sendBeacon, which never throws here: false when the browser did not queue it. */
export const sendBeacon = (url: string, body: string): boolean => {
  try {
    return navigator.sendBeacon(url, body);
  } catch {
    return false;
  }
};
