namespace Tracking.Replay.Archives;

/// <summary>Where archived events are: hour folders of newline-delimited JSON files, on disk or on S3.</summary>
internal interface IArchive
{
    /// <summary>The files of one hour folder (<c>yyyy/MM/dd/HH</c>), in name order, which is the order they were opened.</summary>
    IAsyncEnumerable<string> FilesAsync(DateTimeOffset hour, CancellationToken cancellationToken);

    /// <summary>Opens a file for reading, gunzipping it when it is gzip.</summary>
    Task<Stream> OpenAsync(string file, CancellationToken cancellationToken);
}
