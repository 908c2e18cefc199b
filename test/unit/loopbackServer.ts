// An HTTP server on loopback for the FAKE services of the unit suite (each test says what it fakes): started on a
// free port, stopped by its test file, with the base URL its requests go to.
import * as http from "http";
import { AddressInfo } from "net";

export abstract class LoopbackServer {
    private server = http.createServer((req, res) => this.answer(req, res));

    async start(): Promise<void> {
        await new Promise<void>((done) => this.server.listen(0, "127.0.0.1", done));
    }
    stop(): Promise<void> {
        return new Promise((done) => this.server.close(() => done()));
    }
    get url(): string {
        return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    }

    protected abstract answer(req: http.IncomingMessage, res: http.ServerResponse): void;
}
