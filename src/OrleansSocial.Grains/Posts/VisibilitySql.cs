namespace OrleansSocial.Grains.Posts;

/// <summary>
/// <see cref="OrleansSocial.Posts.VisibilityPolicy"/> as a SQL condition, for queries that pick or count posts by the
/// thousand (search, hashtag counts, trends) before any grain renders them. It states the same rule: a deleted post
/// is for nobody; the author sees their own; a block either way hides it; a public post of a public account is for
/// everyone, of a private account for its approved followers; a followers-only post for approved followers; a private
/// post for the author alone. Viewer 0 is anonymous: only public posts of public accounts pass.
/// </summary>
internal static class VisibilitySql
{
    /// <summary>
    /// True when <paramref name="viewer"/> (a parameter or expression) may see the <c>posts</c> row aliased
    /// <paramref name="post"/>, whose author's <c>accounts</c> row is aliased <paramref name="author"/>.
    /// </summary>
    public static string CanView(string post, string author, string viewer) => $"""
        ({post}.deleted_at IS NULL AND ({post}.author_id = {viewer} OR (
            NOT EXISTS (SELECT 1 FROM blocks vb WHERE (vb.blocker_id = {viewer} AND vb.blocked_id = {post}.author_id)
                                                   OR (vb.blocker_id = {post}.author_id AND vb.blocked_id = {viewer}))
            AND (({post}.visibility = 'public' AND NOT {author}.is_private AND {author}.limited_at IS NULL)
                 OR ({post}.visibility <> 'private' AND EXISTS (SELECT 1 FROM follows vf WHERE vf.follower_id = {viewer} AND vf.followee_id = {post}.author_id))))))
        """;
}
