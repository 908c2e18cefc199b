// FAKE Keystone, Neutron and Glance on loopback for the mocked program runs (pulumiMocks.ts): the program looks on the cloud
// for an existing management plane before it registers anything, and under the unit suite's mocks no OpenStack
// runs. This server answers Keystone's token request (a catalog with a network endpoint for every region the test
// names) and Neutron's listings of security groups, networks, subnets and ports from an inventory the test gives,
// filtered as Neutron filters them (repeated fields are ORed), and Glance's image list (tag, status, owner; newest
// first, in pages of `limit`) for the amphora image check. The real services are the e2e suite's.
import * as http from "http";
import { AddressInfo } from "net";
import { Inventory } from "../../components/adoption/inventory";

const COLLECTIONS: Record<string, keyof Inventory> = {
    "security-groups": "groups",
    networks: "networks",
    subnets: "subnets",
    ports: "ports",
};

export class FakeCloud {
    /** Regions the catalog has a network endpoint for. */
    regions: string[] = [];
    inventory: Inventory = { groups: [], networks: [], subnets: [], ports: [] };
    /** Glance's images, as its list answers them. */
    images: FakeImage[] = [];
    /** Every Neutron request's path and query, for assertions on what was asked. */
    requests: string[] = [];
    private server = http.createServer((req, res) => this.answer(req, res));
    private started: Promise<void> | undefined;

    start(): Promise<void> {
        this.started ??= new Promise<void>((done) => this.server.listen(0, "127.0.0.1", done)).then(() => {
            this.server.unref();
        });
        return this.started;
    }

    get url(): string {
        return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    }

    /** Glance's list: tag, status and owner filters, newest first, a page of `limit` and a `next` link after it. */
    private imagePage(q: URLSearchParams): { images: FakeImage[]; next?: string } {
        const matching = this.images
            .filter((i) => q.getAll("tag").every((t) => i.tags.includes(t)))
            .filter((i) => !q.has("status") || i.status === q.get("status"))
            .filter((i) => !q.has("owner") || i.owner === q.get("owner"))
            .sort((a, b) => b.created_at.localeCompare(a.created_at));
        const limit = Number(q.get("limit") ?? 25);
        const from = q.has("marker") ? matching.findIndex((i) => i.id === q.get("marker")) + 1 : 0;
        const page = matching.slice(from, from + limit);
        if (from + limit >= matching.length) return { images: page };
        const next = new URLSearchParams(q);
        next.set("marker", page[page.length - 1].id);
        return { images: page, next: `/v2/images?${next.toString()}` };
    }

    private answer(req: http.IncomingMessage, res: http.ServerResponse) {
        req.resume();
        req.on("end", () => {
            const json = (status: number, doc: unknown, headers: Record<string, string> = {}) => {
                res.writeHead(status, { "Content-Type": "application/json", ...headers });
                res.end(JSON.stringify(doc));
            };
            const url = new URL(req.url ?? "/", this.url);
            if (url.pathname === "/v3/auth/tokens" && req.method === "POST") {
                const endpoints = this.regions.map((region) => ({ region_id: region, interface: "public", url: this.url }));
                const catalog = [
                    { type: "network", endpoints },
                    { type: "image", endpoints },
                ];
                return json(201, { token: { catalog } }, { "X-Subject-Token": "fake-token" });
            }
            if (req.method === "GET" && url.pathname === "/v2/images") {
                this.requests.push(`${url.pathname}${url.search}`);
                return json(200, this.imagePage(url.searchParams));
            }
            const m = /^\/v2\.0\/([a-z-]+)$/.exec(url.pathname);
            if (req.method === "GET" && m && COLLECTIONS[m[1]]) {
                this.requests.push(`${url.pathname}${url.search}`);
                const items = this.inventory[COLLECTIONS[m[1]]] as unknown as Record<string, unknown>[];
                const fields = [...new Set([...url.searchParams.keys()])];
                const matching = items.filter((item) => fields.every((f) => url.searchParams.getAll(f).includes(String(item[f]))));
                return json(200, { [m[1].replace(/-/g, "_")]: matching });
            }
            return json(404, { NeutronError: { type: "NotFound", message: `${req.method} ${url.pathname}` } });
        });
    }
}

export interface FakeImage {
    id: string;
    name: string;
    status: string;
    owner: string;
    tags: string[];
    created_at: string;
}

/** The one fake cloud of a test worker. */
export const fakeCloud = new FakeCloud();
