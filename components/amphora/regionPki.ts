// One region's amphora PKI as a resource whose only home is the Pulumi state: create generates it, a new client
// validity or rotation number reissues the controllers' client certificate under the same CAs, a new region replaces
// it, delete forgets it. Every key and passphrase is a secret output.
import * as pulumi from "@pulumi/pulumi";
import { certificateNotAfter, GeneratedPki, generateRegionPki, reissueClientCertificate } from "./pki";

export interface RegionPkiInputs {
    region: string;
    /** Validity of CAs generated from now on; CAs already in the state keep theirs (see the provider's diff). */
    caValidityDays: number;
    clientValidityDays: number;
    /** Any new value reissues the client certificate (same CAs); the number itself means nothing. */
    rotation: number;
}

export interface RegionPkiOutputs extends RegionPkiInputs {
    material: GeneratedPki;
    /** notAfter of the server CA, the client CA and the client certificate, as ISO 8601 texts. */
    serverCaNotAfter: string;
    clientCaNotAfter: string;
    clientNotAfter: string;
}

// Pulumi serialises this object and the functions it calls (those of ./pki among them) into the state and runs them
// in a separate provider process, without this module around them: they require what they need at call time and
// capture nothing else.
export const regionPkiProvider: pulumi.dynamic.ResourceProvider = {
    async check(_olds: RegionPkiInputs, news: RegionPkiInputs) {
        const failures: pulumi.dynamic.CheckFailure[] = [];
        if (typeof news.region !== "string" || news.region === "") failures.push({ property: "region", reason: "the region must not be empty" });
        for (const property of ["caValidityDays", "clientValidityDays"] as const) {
            if (!Number.isInteger(news[property]) || news[property] < 1) failures.push({ property, reason: `${property} must be a whole number of days, at least 1` });
        }
        if (!Number.isInteger(news.rotation)) failures.push({ property: "rotation", reason: "rotation must be a whole number" });
        return { inputs: news, failures };
    },

    async diff(_id: string, olds: RegionPkiOutputs, news: RegionPkiInputs) {
        const replaces = olds.region !== news.region ? ["region"] : [];
        const reissue = olds.clientValidityDays !== news.clientValidityDays || olds.rotation !== news.rotation;
        // caValidityDays is not compared: a new validity must not replace the CAs in place. A new server CA would make
        // the certificate of every running amphora untrusted by the controllers (and a new client CA would make the
        // controllers untrusted by every amphora) until each amphora is failed over; the new value applies to the CAs
        // of a PKI generated later (a new region, or this resource replaced on purpose).
        return { changes: replaces.length > 0 || reissue, replaces, deleteBeforeReplace: false };
    },

    async create(inputs: RegionPkiInputs) {
        const material = await generateRegionPki(inputs);
        const outs: RegionPkiOutputs = {
            region: inputs.region,
            caValidityDays: inputs.caValidityDays,
            clientValidityDays: inputs.clientValidityDays,
            rotation: inputs.rotation,
            material,
            serverCaNotAfter: certificateNotAfter(material.serverCaCertificate).toISOString(),
            clientCaNotAfter: certificateNotAfter(material.clientCaCertificate).toISOString(),
            clientNotAfter: certificateNotAfter(material.clientCertificate).toISOString(),
        };
        return { id: `amphora-pki-${inputs.region}`, outs };
    },

    async update(_id: string, olds: RegionPkiOutputs, news: RegionPkiInputs) {
        // Only the client certificate and its key are new; both CAs, the server CA's key and every passphrase are
        // kept as they are, so nothing changes for the amphorae.
        const material = await reissueClientCertificate(olds.material, news);
        const outs: RegionPkiOutputs = {
            region: news.region,
            caValidityDays: news.caValidityDays,
            clientValidityDays: news.clientValidityDays,
            rotation: news.rotation,
            material,
            serverCaNotAfter: olds.serverCaNotAfter,
            clientCaNotAfter: olds.clientCaNotAfter,
            clientNotAfter: certificateNotAfter(material.clientCertificate).toISOString(),
        };
        return { outs };
    },

    async delete() {
        // The PKI exists only in the state; the files the controllers hold are removed with the controllers.
    },
};

export interface RegionPkiArgs {
    /** The region whose controllers and amphorae the PKI serves (a new region is a new PKI). */
    region: pulumi.Input<string>;
    /** Validity of the CAs, in days; a change applies only to CAs generated later, never to those in the state. */
    caValidityDays: pulumi.Input<number>;
    /** Validity of the controllers' client certificate, in days; a change reissues it (same CAs). */
    clientValidityDays: pulumi.Input<number>;
    /** Bump to reissue the client certificate and its key (same CAs). */
    rotation: pulumi.Input<number>;
}

/**
 * A region's dual-CA amphora PKI (Octavia's server CA and client CA, the controllers' client certificate, the
 * passphrases), generated and kept in the Pulumi state; `material` is a secret output as a whole.
 */
export class RegionPki extends pulumi.dynamic.Resource {
    declare public readonly region: pulumi.Output<string>;
    declare public readonly material: pulumi.Output<GeneratedPki>;
    declare public readonly serverCaNotAfter: pulumi.Output<string>;
    declare public readonly clientCaNotAfter: pulumi.Output<string>;
    declare public readonly clientNotAfter: pulumi.Output<string>;

    constructor(name: string, args: RegionPkiArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            regionPkiProvider,
            name,
            { ...args, material: undefined, serverCaNotAfter: undefined, clientCaNotAfter: undefined, clientNotAfter: undefined },
            { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "material"] },
            "amphora",
            "RegionPki",
        );
    }
}
