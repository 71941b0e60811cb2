package fakegithub

import (
	"fmt"
	"time"
)

// The JSON objects GitHub answers with, with every field its REST description requires
// (@octokit/openapi 23.0.2: components/schemas git-ref, git-commit, git-tree, blob,
// short-blob, pull-request, pull-request-simple, repository, simple-user, label). Fields the
// fake has no state for carry GitHub's value for a fresh object (no milestone, no merge).

// stamp is the time every object of the fake was made (RFC 3339, as GitHub writes it).
func (s *Server) stamp() string { return s.now().UTC().Format(time.RFC3339) }

func (s *Server) userJSON(login string) map[string]any {
	u := s.Server.URL + "/users/" + login
	return map[string]any{
		"login": login, "id": 1000 + len(login), "node_id": "U_" + login, "type": "User", "site_admin": false,
		"avatar_url": s.Server.URL + "/avatars/" + login, "gravatar_id": "", "url": u, "html_url": s.Server.URL + "/" + login,
		"followers_url": u + "/followers", "following_url": u + "/following{/other_user}", "gists_url": u + "/gists{/gist_id}",
		"starred_url": u + "/starred{/owner}{/repo}", "subscriptions_url": u + "/subscriptions", "organizations_url": u + "/orgs",
		"repos_url": u + "/repos", "events_url": u + "/events{/privacy}", "received_events_url": u + "/received_events",
	}
}

// repoURLs are the repository's *_url fields and the path below the repository's API URL
// each points at.
var repoURLs = map[string]string{
	"archive_url": "/{archive_format}{/ref}", "assignees_url": "/assignees{/user}", "blobs_url": "/git/blobs{/sha}",
	"branches_url": "/branches{/branch}", "collaborators_url": "/collaborators{/collaborator}", "comments_url": "/comments{/number}",
	"commits_url": "/commits{/sha}", "compare_url": "/compare/{base}...{head}", "contents_url": "/contents/{+path}",
	"contributors_url": "/contributors", "deployments_url": "/deployments", "downloads_url": "/downloads", "events_url": "/events",
	"forks_url": "/forks", "git_commits_url": "/git/commits{/sha}", "git_refs_url": "/git/refs{/sha}", "git_tags_url": "/git/tags{/sha}",
	"hooks_url": "/hooks", "issue_comment_url": "/issues/comments{/number}", "issue_events_url": "/issues/events{/number}",
	"issues_url": "/issues{/number}", "keys_url": "/keys{/key_id}", "labels_url": "/labels{/name}", "languages_url": "/languages",
	"merges_url": "/merges", "milestones_url": "/milestones{/number}", "notifications_url": "/notifications{?since,all,participating}",
	"pulls_url": "/pulls{/number}", "releases_url": "/releases{/id}", "stargazers_url": "/stargazers", "statuses_url": "/statuses/{sha}",
	"subscribers_url": "/subscribers", "subscription_url": "/subscription", "tags_url": "/tags", "teams_url": "/teams",
	"trees_url": "/git/trees{/sha}",
}

func (s *Server) repoJSON() map[string]any {
	r := map[string]any{
		"id": 4242, "node_id": "R_" + s.Repo, "name": s.Repo, "full_name": s.Owner + "/" + s.Repo, "owner": s.userJSON(s.Owner),
		"private": true, "description": nil, "fork": false, "url": s.url(""), "html_url": s.web(""),
		"clone_url": s.web(".git"), "git_url": "git:" + s.web(".git"), "ssh_url": "git@fake:" + s.Owner + "/" + s.Repo + ".git",
		"svn_url": s.web(""), "mirror_url": nil, "homepage": nil, "language": nil, "license": nil,
		"forks": 0, "forks_count": 0, "stargazers_count": 0, "watchers": 0, "watchers_count": 0, "size": 0,
		"open_issues": 0, "open_issues_count": 0, "default_branch": "main",
		"has_issues": true, "has_projects": false, "has_wiki": false, "has_pages": false, "has_downloads": true,
		"archived": false, "disabled": false, "pushed_at": s.stamp(), "created_at": s.stamp(), "updated_at": s.stamp(),
	}
	for k, p := range repoURLs {
		r[k] = s.url("%s", p)
	}
	return r
}

func (s *Server) labelJSON(name string) map[string]any {
	return map[string]any{"id": 7000 + len(name), "node_id": "LA_" + name, "url": s.url("/labels/%s", name), "name": name,
		"description": "", "color": "ededed", "default": false}
}

func link(href string) map[string]any { return map[string]any{"href": href} }

// pullJSON is a pull-request; simple drops what pull-request-simple (the list answer) lacks.
func (s *Server) pullJSON(p *Pull, simple bool) map[string]any {
	labels := []map[string]any{}
	for _, l := range p.Labels {
		labels = append(labels, s.labelJSON(l))
	}
	self := s.url("/pulls/%d", p.Number)
	issue := s.url("/issues/%d", p.Number)
	html := s.web(fmt.Sprintf("/pull/%d", p.Number))
	branch := func(ref string) map[string]any {
		return map[string]any{"label": s.Owner + ":" + ref, "ref": ref, "sha": s.refs["heads/"+ref], "user": s.userJSON(s.Owner), "repo": s.repoJSON()}
	}
	var closed any
	if p.State == "closed" {
		closed = s.stamp()
	}
	reviewers := []map[string]any{}
	for _, r := range p.Reviewers {
		reviewers = append(reviewers, s.userJSON(r))
	}
	out := map[string]any{
		"url": self, "id": 9000 + p.Number, "node_id": fmt.Sprintf("PR_%d", p.Number), "number": p.Number,
		"html_url": html, "diff_url": html + ".diff", "patch_url": html + ".patch", "issue_url": issue,
		"commits_url": self + "/commits", "review_comments_url": self + "/comments", "review_comment_url": s.url("/pulls/comments{/number}"),
		"comments_url": issue + "/comments", "statuses_url": s.url("/statuses/%s", s.refs["heads/"+p.Head]),
		"state": p.State, "locked": false, "title": p.Title, "body": p.Body, "user": s.userJSON("github-actions[bot]"),
		"labels": labels, "milestone": nil, "assignee": nil, "assignees": []any{}, "requested_reviewers": reviewers,
		"created_at": s.stamp(), "updated_at": s.stamp(), "closed_at": closed, "merged_at": nil, "merge_commit_sha": nil,
		"head": branch(p.Head), "base": branch(p.Base), "author_association": "NONE", "auto_merge": nil, "draft": false,
		"_links": map[string]any{"self": link(self), "html": link(html), "issue": link(issue), "comments": link(issue + "/comments"),
			"review_comments": link(self + "/comments"), "review_comment": link(s.url("/pulls/comments{/number}")),
			"commits": link(self + "/commits"), "statuses": link(s.url("/statuses/%s", s.refs["heads/"+p.Head]))},
	}
	if !simple {
		for k, v := range map[string]any{"merged": false, "mergeable": nil, "mergeable_state": "unknown", "merged_by": nil,
			"comments": 0, "review_comments": 0, "maintainer_can_modify": false, "commits": 1, "additions": 1, "deletions": 0, "changed_files": 1} {
			out[k] = v
		}
	}
	return out
}

func (s *Server) refJSON(ref, sha string) map[string]any {
	return map[string]any{"ref": "refs/" + ref, "node_id": "REF_" + ref, "url": s.url("/git/refs/%s", ref),
		"object": map[string]any{"type": "commit", "sha": sha, "url": s.url("/git/commits/%s", sha)}}
}

func (s *Server) commitJSON(sha string) map[string]any {
	c := s.commits[sha]
	parents := []map[string]any{}
	for _, p := range c.Parents {
		parents = append(parents, map[string]any{"sha": p, "url": s.url("/git/commits/%s", p), "html_url": s.web("/commit/" + p)})
	}
	who := map[string]any{"name": "imagegrid", "email": "imagegrid@example.com", "date": s.stamp()}
	return map[string]any{"sha": sha, "node_id": "C_" + sha, "message": c.Message, "url": s.url("/git/commits/%s", sha),
		"html_url": s.web("/commit/" + sha), "author": who, "committer": who,
		"tree": map[string]any{"sha": c.Tree, "url": s.url("/git/trees/%s", c.Tree)}, "parents": parents,
		"verification": map[string]any{"verified": false, "reason": "unsigned", "signature": nil, "payload": nil, "verified_at": nil}}
}
