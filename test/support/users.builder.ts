import type request from 'supertest';
import { auth } from './test-app';

/** A user as the tests hold it: id, name and clear access token. */
export interface TestUser {
  id: number;
  name: string;
  token: string;
}

/** `POST /1/users/init` → root with its clear token. */
export async function initRoot(http: ReturnType<typeof request>): Promise<TestUser> {
  const res = await http.post('/1/users/init').expect(200);
  return { id: res.body.id, name: res.body.name, token: res.body.token };
}

/** `POST /1/users` as `admin` → a common user with its clear token. */
export async function addUser(http: ReturnType<typeof request>, admin: TestUser, name: string): Promise<TestUser> {
  const res = await http.post('/1/users').set(auth(admin.token)).send({ name }).expect(200);
  return { id: res.body.id, name: res.body.name, token: res.body.token };
}

/** A new admin (role 10), made by root. */
export async function addAdmin(http: ReturnType<typeof request>, root: TestUser, name: string): Promise<TestUser> {
  const user = await addUser(http, root, name);
  await http.patch(`/1/users/${user.id}`).set(auth(root.token)).send({ role: 10 }).expect(200);
  return user;
}
