using System.Net;
using Amazon;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace OrleansSocial.Media;

/// <summary>
/// Blobs in an S3 bucket (AWS, or any S3-compatible server: MinIO, R2, s3rver in the tests). Public media are read from
/// <see cref="S3StoreOptions.PublicBaseUrl"/> when one is set; restricted media (and all media without one) by presigned
/// GET URLs that work for <see cref="MediaOptions.SignedUrlLifetime"/>. Checksums are computed and validated only where
/// the protocol requires them and puts are not chunk-encoded, which S3-compatible servers need.
/// </summary>
public sealed class S3MediaStore : IMediaStore, IDisposable
{
    private readonly AmazonS3Client _client;
    private readonly S3StoreOptions _options;
    private readonly TimeSpan _lifetime;
    private readonly TimeProvider _time;
    private readonly bool _http;

    public S3MediaStore(MediaOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        (_options, _lifetime, _time) = (options.S3, options.SignedUrlLifetime, time);
        var config = new AmazonS3Config
        {
            ForcePathStyle = _options.ForcePathStyle,
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        if (string.IsNullOrWhiteSpace(_options.Endpoint))
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(_options.Region);
        }
        else
        {
            config.ServiceURL = _options.Endpoint;
            config.AuthenticationRegion = _options.Region;
            _http = _options.Endpoint.StartsWith("http://", StringComparison.OrdinalIgnoreCase);
        }

        _client = string.IsNullOrEmpty(_options.AccessKey)
            ? new AmazonS3Client(config)
            : new AmazonS3Client(new BasicAWSCredentials(_options.AccessKey, _options.SecretKey), config);
    }

    /// <summary>Creates the bucket when it is missing (with <see cref="S3StoreOptions.CreateBucket"/>).</summary>
    public async Task EnsureBucketAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _client.PutBucketAsync(new PutBucketRequest { BucketName = _options.Bucket }, cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception e) when (e.ErrorCode is "BucketAlreadyOwnedByYou" or "BucketAlreadyExists")
        {
        }
    }

    public async Task PutAsync(string key, Stream content, string contentType, CancellationToken cancellationToken)
    {
        var request = new PutObjectRequest
        {
            BucketName = _options.Bucket,
            Key = key,
            InputStream = content,
            ContentType = contentType,
            UseChunkEncoding = false,
            AutoCloseStream = false,
        };
        request.Headers.CacheControl = "public, max-age=31536000, immutable";
        await _client.PutObjectAsync(request, cancellationToken).ConfigureAwait(false);
    }

    public async Task<Stream?> OpenReadAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            var response = await _client.GetObjectAsync(_options.Bucket, key, cancellationToken).ConfigureAwait(false);
            return response.ResponseStream;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task DeleteTokenAsync(string token, CancellationToken cancellationToken)
    {
        var listing = await _client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _options.Bucket, Prefix = token + "/" }, cancellationToken)
            .ConfigureAwait(false);
        foreach (var blob in listing.S3Objects ?? [])
        {
            await _client.DeleteObjectAsync(_options.Bucket, blob.Key, cancellationToken).ConfigureAwait(false);
        }
    }

    public string Url(string key, bool restricted)
    {
        if (!restricted && !string.IsNullOrWhiteSpace(_options.PublicBaseUrl))
        {
            return _options.PublicBaseUrl.TrimEnd('/') + "/" + key;
        }

        return _client.GetPreSignedURL(new GetPreSignedUrlRequest
        {
            BucketName = _options.Bucket,
            Key = key,
            Verb = HttpVerb.GET,
            Expires = _time.GetUtcNow().Add(_lifetime).UtcDateTime,
            Protocol = _http ? Protocol.HTTP : Protocol.HTTPS,
        });
    }

    public void Dispose() => _client.Dispose();
}
