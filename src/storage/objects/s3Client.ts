import { Client } from 'minio';

/** Where a request for an object goes, exactly as minio would address it. */
export interface S3RequestTarget {
  protocol: 'http:' | 'https:';
  /** The Host header: `host` or `host:port`. */
  host: string;
  /** Percent-encoded path: `/bucket/key` (path style) or `/key` (virtual-host style, on AWS). */
  path: string;
}

/** The minio client, with two of its protected helpers made reachable (a subclass may call them). */
export class S3Client extends Client {
  /** Lets presigned URLs be signed by dagkeeper's own SigV4 code, addressed as minio addresses requests. */
  requestTarget(method: 'GET' | 'PUT', bucket: string, key: string, region: string): S3RequestTarget {
    const options = this.getRequestOptions({ method, region, bucketName: bucket, objectName: key });
    const host = options.headers.host;
    if (host === undefined) throw new Error(`minio addressed ${bucket}/${key} without a Host header`);
    return { protocol: options.protocol === 'https:' ? 'https:' : 'http:', host, path: options.path.split('?')[0]! };
  }

  /** The parts S3 holds for an open multipart upload (ListParts). */
  async uploadedParts(bucket: string, key: string, uploadId: string): Promise<Array<{ partNumber: number; etag: string }>> {
    const parts = await this.listParts(bucket, key, uploadId);
    return parts.map((part) => ({ partNumber: part.part, etag: part.etag }));
  }
}
