namespace TttCluster.Video;

/// <summary>Where an <see cref="Mp4Writer"/> is in its life: only a streaming writer takes frames.</summary>
internal enum Mp4WriterState
{
    /// <summary>Takes frames; ffmpeg starts with the first one and runs until Complete.</summary>
    Streaming,

    /// <summary>The video is finished and renamed into place.</summary>
    Completed,

    /// <summary>Failed, cancelled or disposed early: ffmpeg is gone and the temporary file deleted.</summary>
    Aborted,
}
