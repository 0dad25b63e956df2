-- pandoc filter for tests/docsite/generate.py: a link to another guide (name.md, name.md#section) becomes a :ref: to
-- that guide's docsite label (ansible_collections.winvirt.hyperv.docsite.guide_<name>); other links stay as they are.
function Link(el)
  local stem = el.target:match("^([%w_%-]+)%.md$") or el.target:match("^([%w_%-]+)%.md#")
  if stem == nil then
    return el
  end
  local label = "ansible_collections.winvirt.hyperv.docsite.guide_" .. stem:gsub("-", "_")
  local text = pandoc.utils.stringify(el.content):gsub("[`<>]", "")
  return pandoc.RawInline("rst", ":ref:`" .. text .. " <" .. label .. ">`")
end
