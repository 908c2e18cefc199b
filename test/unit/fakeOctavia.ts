// FAKE Keystone and Octavia on loopback for the unit suite: a token whose catalog has a load-balancer endpoint for
// RegionOne, the amphora list in pages of 2, and the agent-config PUTs (answering 409 for the amphorae a test names).
// Octavia itself is the e2e suite's (test/e2e/amphora.test.ts).
import * as http from "http";
import { ListedAmphora } from "../../components/amphora/agentConfigProvider";
import { LoopbackServer } from "./loopbackServer";

/** An amphora as Octavia lists it: ALLOCATED, serving load balancer `lb-<id>`, unless `over` says otherwise. */
export const amp = (id: string, lb_network_ip: string | null, over: Partial<ListedAmphora> = {}): ListedAmphora => ({ id, status: "ALLOCATED", loadbalancer_id: `lb-${id}`, lb_network_ip, ...over });

export class FakeOctavia extends LoopbackServer {
    amphorae: ListedAmphora[] = [];
    /** Amphorae whose config PUT answers 409. */
    refuse = new Set<string>();
    puts: string[] = [];

    protected answer(req: http.IncomingMessage, res: http.ServerResponse): void {
        const url = new URL(req.url ?? "/", this.url);
        req.resume();
        req.on("end", () => {
            if (req.method === "POST" && url.pathname === "/v3/auth/tokens") {
                const catalog = [{ type: "load-balancer", endpoints: [{ region_id: "RegionOne", interface: "public", url: `${this.url}/` }] }];
                res.writeHead(201, { "Content-Type": "application/json", "X-Subject-Token": "fake-token" }).end(JSON.stringify({ token: { catalog } }));
                return;
            }
            if (req.headers["x-auth-token"] !== "fake-token") return void res.writeHead(401).end();
            if (req.method === "GET" && url.pathname === "/v2/octavia/amphorae") {
                const marker = url.searchParams.get("marker");
                const start = marker === null ? 0 : this.amphorae.findIndex((a) => a.id === marker) + 1;
                const page = this.amphorae.slice(start, start + 2);
                const links = start + 2 < this.amphorae.length ? [{ rel: "next", href: `${this.url}/v2/octavia/amphorae?limit=2&marker=${page[page.length - 1].id}` }] : [];
                res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ amphorae: page, amphorae_links: links }));
                return;
            }
            const m = /^\/v2\/octavia\/amphorae\/([^/]+)\/config$/.exec(url.pathname);
            if (req.method === "PUT" && m) {
                this.puts.push(m[1]);
                if (this.refuse.has(m[1])) return void res.writeHead(409, { "Content-Type": "application/json" }).end(JSON.stringify({ faultstring: "Invalid state PENDING_UPDATE" }));
                return void res.writeHead(202).end();
            }
            res.writeHead(404).end();
        });
    }
}
