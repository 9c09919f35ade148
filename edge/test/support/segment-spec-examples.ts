/**
 * Request bodies from Segment's published HTTP Tracking API reference
 * (segment.com/docs/connections/sources/catalog/libraries/server/http-api/, "Identify", "Track",
 * "Page", "Screen", "Group", "Alias", "Batch"), as printed there, with YOUR_WRITE_KEY in place.
 */
export const SPEC_WRITE_KEY = 'YOUR_WRITE_KEY';

export const identifyExample = {
  userId: '019mr8mf4r',
  traits: { email: 'pgibbons@example.com', name: 'Peter Gibbons', industry: 'Technology' },
  context: { ip: '24.5.68.47' },
  timestamp: '2012-12-02T00:30:08.276Z',
  writeKey: SPEC_WRITE_KEY,
};

export const trackExample = {
  userId: '019mr8mf4r',
  event: 'Item Purchased',
  properties: { name: 'Leap to Conclusions Mat', revenue: 14.99 },
  context: { ip: '24.5.68.47' },
  timestamp: '2012-12-02T00:30:12.984Z',
  writeKey: SPEC_WRITE_KEY,
};

export const pageExample = {
  userId: '019mr8mf4r',
  name: 'Tracking HTTP API',
  timestamp: '2012-12-02T00:31:29.738Z',
  writeKey: SPEC_WRITE_KEY,
};

export const screenExample = {
  userId: '019mr8mf4r',
  name: 'Tracking HTTP API',
  timestamp: '2012-12-02T00:31:29.738Z',
  writeKey: SPEC_WRITE_KEY,
};

export const groupExample = {
  userId: '019mr8mf4r',
  groupId: '8e9df332ac',
  traits: { name: 'Initech', industry: 'Technology', employees: 420 },
  timestamp: '2012-12-02T00:31:38.208Z',
  writeKey: SPEC_WRITE_KEY,
};

export const aliasExample = {
  previousId: '39239-239239-239239-23923',
  userId: '019mr8mf4r',
  timestamp: '2012-12-02T00:31:29.738Z',
  writeKey: SPEC_WRITE_KEY,
};

/** Note: the spec's own example writes two timestamps as `2015-2-02…`, which is not ISO 8601. */
export const batchExample = {
  batch: [
    {
      type: 'identify',
      userId: '019mr8mf4r',
      traits: { email: 'jake@yahoo.com', name: 'Jake Peterson', age: 26 },
      timestamp: '2012-12-02T00:30:08.276Z',
    },
    {
      type: 'track',
      userId: '019mr8mf4r',
      event: 'Song Played',
      properties: { name: 'Fallin for You', artist: 'Dierks Bentley' },
      timestamp: '2012-12-02T00:30:12.984Z',
    },
    {
      type: 'identify',
      userId: '971mj8mk7p',
      traits: { email: 'cindy@example.com', name: 'Cindy Gonzalez', age: 23 },
      timestamp: '2015-2-02T00:30:08.276Z',
    },
    {
      type: 'track',
      userId: '971mj8mk7p',
      event: 'Song Played',
      properties: { name: 'Get Right', artist: 'Jennifer Lopez' },
      timestamp: '2015-2-02T00:30:12.984Z',
    },
  ],
  writeKey: SPEC_WRITE_KEY,
  context: { device: { type: 'phone', name: 'Apple iPhone 6' } },
};

/** The spec's "Selecting Destinations" example: an identify with `integrations`. */
export const integrationsExample = {
  ...identifyExample,
  integrations: { All: false, Mixpanel: true, Kissmetrics: true, 'Google Analytics': false },
};
