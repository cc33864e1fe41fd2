/** Local endpoints accept any credentials; the SDK still insists on having some. */
export const localCredentials = { accessKeyId: 'local', secretAccessKey: 'local' };
